package archive

import (
	"context"
	"fmt"

	"labmap/data"
	"labmap/tiles"

	"github.com/paulmach/orb"
)

// Area is what an export covers: a lab zone, a bounding box, or (neither)
// the whole dataset's extent.
type Area struct {
	Zone   string
	Bounds orb.Bound
}

// Plan is a resolved export: the tiles to render and the archive's metadata.
type Plan struct {
	Layers   []tiles.Layer
	Round    data.Round
	Metadata Metadata
}

// NewPlan resolves an export of layers over area at zooms zmin..zmax for
// round (empty: the latest) against store, naming an unknown zone or round.
func NewPlan(ctx context.Context, store data.Store, layers []tiles.Layer, area Area, zmin, zmax int, round data.Round, lang string) (Plan, error) {
	if zmin < tiles.MinZoom || zmax > tiles.MaxZoom || zmin > zmax {
		return Plan{}, fmt.Errorf("zooms %d-%d: not a range within %d-%d", zmin, zmax, tiles.MinZoom, tiles.MaxZoom)
	}
	rounds, err := store.Rounds(ctx)
	if err != nil {
		return Plan{}, err
	}
	if len(rounds) == 0 {
		return Plan{}, fmt.Errorf("the dataset has no survey rounds")
	}
	if round == "" {
		round = rounds[len(rounds)-1].Round
	} else if !hasRound(rounds, round) {
		return Plan{}, fmt.Errorf("round %s: not in the dataset (%s … %s)", round, rounds[0].Round, rounds[len(rounds)-1].Round)
	}
	bounds := area.Bounds
	name := "labmap"
	switch {
	case area.Zone != "":
		zones, err := store.Zones(ctx)
		if err != nil {
			return Plan{}, err
		}
		found := false
		var ids []string
		for _, z := range zones {
			ids = append(ids, z.ID)
			if z.ID == area.Zone {
				bounds, found = z.Geometry.Bound(), true
				name = "labmap " + z.Name
			}
		}
		if !found {
			return Plan{}, fmt.Errorf("zone %q: no such lab zone (zones: %v)", area.Zone, ids)
		}
	case bounds.IsZero():
		if bounds, err = store.Extent(ctx); err != nil {
			return Plan{}, err
		}
	}
	st, err := store.Status(ctx)
	if err != nil {
		return Plan{}, err
	}
	tj := tiles.NewTileJSON(layers, "", bounds, nil, lang, tiles.Credit{Region: st.Region.Name, Source: st.Region.Source, Synthetic: st.Region.Synthetic})
	return Plan{
		Layers: layers,
		Round:  round,
		Metadata: Metadata{
			Name: name + " " + string(round), Description: tj.Description, Attribution: tj.Attribution, Version: tj.Version,
			Bounds: bounds, MinZoom: zmin, MaxZoom: zmax, VectorLayers: tj.VectorLayers,
		},
	}, nil
}

func hasRound(rounds []data.RoundInfo, r data.Round) bool {
	for _, x := range rounds {
		if x.Round == r {
			return true
		}
	}
	return false
}

// Run renders the plan's tiles through svc into w and closes w.
func (p Plan) Run(ctx context.Context, svc *tiles.Service, w Writer) (Stats, error) {
	st, err := Export(ctx, ServiceSource(svc, p.Layers, p.Round), Grid(p.Metadata.Bounds, p.Metadata.MinZoom, p.Metadata.MaxZoom), w)
	if err != nil {
		return st, err
	}
	return st, w.Close()
}
