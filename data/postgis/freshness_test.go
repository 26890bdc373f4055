package postgis_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"labmap/data/postgis"
	"labmap/tiles"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/maptile"
)

// TestStalledListener stalls the TCP connection of the store's NOTIFY
// listener (a proxy stops forwarding on it without closing it, as a dropped
// NAT mapping does), imports a new dataset version, and requires the store
// and its tiles to carry the new version, the stall to be logged once and the
// listener to be replaced by a new connection.
func TestStalledListener(t *testing.T) {
	ctx := context.Background()
	dbURL := migrated(t)
	importFiles(t, dbURL, files(t))
	proxy := newStallProxy(t, dbURL)
	logs := &signalWriter{match: "dataset listener stalled", seen: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := postgis.Open(ctx, proxy.url, postgis.Options{Log: log, VersionInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)

	stalledPort := waitListener(t, admin, 0)
	svc := tiles.NewService(store, 1<<20)
	extent, err := store.Extent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := maptile.At(extent.Center(), 10)
	tile := tiles.Request{Layers: tiles.Layers, Z: 10, X: int(at.X), Y: int(at.Y)}
	before := tileETag(t, svc, tile)
	if !strings.HasPrefix(before, `"1-`) {
		t.Fatalf("tile ETag before the import = %s, want version 1", before)
	}

	proxy.stall(t, stalledPort)
	res := importFiles(t, dbURL, files(t))
	if res.DatasetVersion != 2 {
		t.Fatalf("second import gave version %d", res.DatasetVersion)
	}
	eventually(t, "the store sees version 2 with its listener stalled", func() bool {
		v, err := store.Version(ctx)
		return err == nil && v == 2
	})
	if after := tileETag(t, svc, tile); !strings.HasPrefix(after, `"2-`) {
		t.Errorf("tile ETag after the import = %s, want version 2", after)
	}

	select {
	case <-logs.seen:
	case <-time.After(time.Minute):
		t.Fatal("no WARN line about the stalled listener within a minute")
	}
	newPort := waitListener(t, admin, stalledPort)
	if n := logs.count(); n != 1 {
		t.Errorf("%d WARN lines about the stall, want 1:\n%s", n, logs.text())
	}
	t.Logf("listener moved from port %d to %d; log:\n%s", stalledPort, newPort, logs.text())
}

func tileETag(t *testing.T, svc *tiles.Service, r tiles.Request) string {
	t.Helper()
	c, err := svc.Tile(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Raw) == 0 {
		t.Fatalf("tile %d/%d/%d is empty: pick one over the demo villages", r.Z, r.X, r.Y)
	}
	return c.ETag
}

// waitListener waits for the store's listener to be connected (through the
// proxy, so its client port is the proxy's side of the link) and idle after
// its LISTEN, on a port other than not, and returns that port.
func waitListener(t *testing.T, admin *pgx.Conn, not int) int {
	t.Helper()
	var port int
	eventually(t, "a listener connection", func() bool {
		err := admin.QueryRow(context.Background(), `SELECT client_port FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'labmap listener' AND state = 'idle'
			AND client_port <> $1 ORDER BY backend_start DESC LIMIT 1`, not).Scan(&port)
		return err == nil
	})
	return port
}

// eventually polls cond until it holds; the bound is generous, a guard
// against hanging rather than a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signalWriter keeps log output and closes seen at the first line holding
// match.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	match string
	n     int
	seen  chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.match)) {
		if w.n++; w.n == 1 {
			close(w.seen)
		}
	}
	return w.buf.Write(p)
}

func (w *signalWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *signalWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// stallProxy forwards TCP connections to a PostgreSQL server and can stall
// one of them: it then keeps both ends open and forwards nothing more, the
// way a connection through a dead NAT mapping behaves.
type stallProxy struct {
	url      string // the database URL with the proxy as host
	upstream string
	ln       net.Listener
	done     chan struct{}

	mu    sync.Mutex
	links map[int]*link // by the proxy's port towards the server
	conns []net.Conn
}

type link struct {
	stalled   chan struct{}
	stallOnce sync.Once
}

func newStallProxy(t *testing.T, dbURL string) *stallProxy {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{upstream: u.Host, ln: ln, done: make(chan struct{}), links: map[int]*link{}}
	u.Host = ln.Addr().String()
	p.url = u.String()
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.upstream)
		if err != nil {
			client.Close()
			continue
		}
		l := &link{stalled: make(chan struct{})}
		p.mu.Lock()
		p.links[server.LocalAddr().(*net.TCPAddr).Port] = l
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go p.pump(l, server, client)
		go p.pump(l, client, server)
	}
}

// pump copies src to dst until either closes, and once the link is stalled
// swallows what it reads and holds both ends open until the proxy closes.
func (p *stallProxy) pump(l *link, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case <-l.stalled:
				<-p.done
				return
			default:
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			src.Close()
			dst.Close()
			return
		}
	}
}

func (p *stallProxy) stall(t *testing.T, port int) {
	t.Helper()
	p.mu.Lock()
	l := p.links[port]
	p.mu.Unlock()
	if l == nil {
		t.Fatalf("the proxy has no link from port %d", port)
	}
	l.stallOnce.Do(func() { close(l.stalled) })
}

func (p *stallProxy) close() {
	close(p.done)
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}
