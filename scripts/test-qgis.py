"""Acceptance test of labmap with real QGIS 3.22 (run by scripts/test-qgis).

Usage: test-qgis.py LABMAP_BINARY TMPDIR

Every check compares what QGIS shows with what the server publishes (the
collection's numberMatched, the indicator registry, the style's legend), so
nothing here is a hard-coded result. Failures are collected and reported
together; the exit status says whether there were any.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDataSourceUri,
    QgsMapBoxGlStyleConverter,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsMessageLog,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QSize, QVariant
from qgis.PyQt.QtGui import QColor

binary, tmp = sys.argv[1], sys.argv[2]
failures = []
notes = []  # what could not be checked, and why: reported, never passed
started = time.time()


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def finish():
    print(f"test-qgis: {len(failures)} failure(s), {len(notes)} note(s), {time.time() - started:.1f} s", flush=True)
    for n in notes:
        print("  note " + n, flush=True)
    for f in failures:
        print("  " + f, flush=True)
    # QGIS 3.22 can crash tearing down its providers at exit; the verdict
    # is out, so leave without the teardown.
    os._exit(1 if failures else 0)


# The server: the built-in dataset on a free port. Its "listening" log line
# is the signal that it is ready; stderr is drained afterwards so that the
# request log never blocks it.
# A long queue wait: this checks what QGIS users see, not load shedding.
server = subprocess.Popen([binary, "serve", "--addr", "127.0.0.1:0", "--queue-wait", "60s"],
                          stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
base = None
server_log = []
for line in server.stderr:
    server_log.append(line)
    if "msg=listening" in line:
        base = line.split("addr=", 1)[1].split()[0]
        break
if base is None:
    print("".join(server_log), file=sys.stderr)
    print("test-qgis: labmap serve did not start", file=sys.stderr)
    sys.exit(1)
threading.Thread(target=lambda: [server_log.append(l) for l in server.stderr], daemon=True).start()
print("server " + base, flush=True)


def get(path):
    with urllib.request.urlopen(base + path) as r:
        return r.read()


def get_json(path):
    return json.loads(get(path))


def save(path, name):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(get(path))
    return p


app = QgsApplication([], False)
app.initQgis()

# Every message QGIS logs at warning level or above, with its tag; the
# project must open and draw without any.
messages = []


def on_message(message, tag, level):
    if level >= Qgis.Warning:
        messages.append(f"[{tag}] {message}")


QgsApplication.messageLog().messageReceived.connect(on_message)
# The hook must see a warning for "no warnings" to mean anything.
QgsMessageLog.logMessage("probe", "labmap-test", Qgis.Warning)
check(any("probe" in m for m in messages), "the message log hook sees warnings")
messages.clear()

registry = {i["key"]: i for i in get_json("/api/indicators?lang=id")["indicators"]}

# 1. Every collection loads whole, with the right field types, loaded as
# the downloaded project loads it (its data source: the hexagon layers ask
# for the largest hexagons first, see qgis/project.go).
# QGIS 3.22 types fields from its first page only (items?limit=10 with the
# layer URL's query), so a field must be typed right whenever it has a value
# in that page. A figure the privacy rule withholds in all ten features has
# no value for QGIS 3.22 to type it from (it becomes a String): that is
# reported as a note naming the field, never passed silently, and newer
# QGIS types it from the Part 5 schema checked above.
project_sources = {
    ml.findtext("id"): ml.findtext("datasource")
    for ml in ET.fromstring(get("/qgis/labmap.qgs?indicator=poverty_rate")).iter("maplayer")
    if ml.findtext("provider") == "OAPIF"
}
INTEGER = {QVariant.Int, QVariant.LongLong}
# The schema's types as QGIS fields: a date-formatted string is a Date, an
# array is a JSON field (QGIS 3.22 holds it as a map or a list).
SCHEMA_TYPES = {
    "number": {QVariant.Double},
    "integer": INTEGER,
    "string": {QVariant.String},
    "boolean": {QVariant.Bool},
    "array": {QVariant.Map, QVariant.List, QVariant.StringList},
}
KIND_TYPES = {"rate": {QVariant.Double}, "count": INTEGER, "category": {QVariant.String}}
collections_doc = get_json("/collections?f=json")["collections"]
collections = [c["id"] for c in collections_doc]
check(len(collections) >= 8, f"collections listed: {collections}")
for cdoc in collections_doc:
    cid = cdoc["id"]
    t = time.time()
    source = project_sources.get("labmap_" + cid)
    if source is None:
        check(False, f"{cid}: the project has no OGC API layer labmap_{cid}")
        continue
    if cid.startswith("hexagons_"):
        check("sortby=-households" in source, f"{cid}: the project's source asks for the largest first: {source}")
    schema_href = [l["href"] for l in cdoc["links"] if l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/schema"]
    schema = {"properties": {}}
    if schema_href:
        with urllib.request.urlopen(schema_href[0]) as r:
            schema = json.loads(r.read())
    props = {k: v for k, v in schema["properties"].items() if k != "geometry"}
    check(schema_href and all(k in props for k in registry),
          f"{cid}: the Part 5 schema ({schema_href}) types every indicator: {sorted(set(registry) - set(props))} missing")
    # What the server holds: every feature, every property's non-null values.
    everything = get_json(f"/collections/{cid}/items?f=json&limit=all")
    matched = everything["numberMatched"]
    has_value = {k for f in everything["features"] for k, v in f["properties"].items() if v is not None}
    # The page QGIS 3.22 types the layer from: the layer URL's query, limit 10.
    layer_query = urllib.parse.urlsplit(source.split("url='", 1)[1].split("'", 1)[0]).query
    first = get_json(f"/collections/{cid}/items?f=json&limit=10" + ("&" + layer_query if layer_query else ""))
    in_first = {k for f in first["features"] for k, v in f["properties"].items() if v is not None}
    layer = QgsVectorLayer(source, cid, "OAPIF")
    if not layer.isValid():
        check(False, f"{cid}: OAPIF layer invalid: {layer.error().summary()}")
        continue
    fetched = sum(1 for _ in layer.getFeatures())
    check(layer.featureCount() == matched and fetched == matched and len(everything["features"]) == matched,
          f"{cid}: featureCount {layer.featureCount()}, fetched {fetched}, numberMatched {matched}")
    fields = layer.fields()
    wrong, withheld, unseen = [], [], []
    for key, p in props.items():
        if key not in has_value:
            withheld.append(key)
            continue
        if key not in in_first:
            unseen.append(key)
            continue
        want = {QVariant.Date} if p.get("format") == "date" else SCHEMA_TYPES[p["type"]]
        # The schema and the indicator registry must agree on an indicator.
        if key in registry and want != KIND_TYPES[registry[key]["kind"]]:
            wrong.append(f"{key}: the schema says {p['type']}, the registry {registry[key]['kind']}")
        i = fields.indexFromName(key)
        if i < 0:
            wrong.append(f"{key} missing")
        elif fields.at(i).type() not in want:
            wrong.append(f"{key} is {fields.at(i).typeName()}, not {p['type']}")
    checked_n = len(props) - len(withheld) - len(unseen)
    # Only figures are withheld; an area always has its identity.
    check(all(k in registry for k in withheld), f"{cid}: only indicators lack values everywhere: {withheld}")
    check(all(k in registry and registry[k].get("sensitive") for k in unseen),
          f"{cid}: only withheld sensitive figures lack a value in QGIS's first page: {unseen}")
    check(not wrong and checked_n > 0,
          f"{cid}: field types of the {checked_n} properties with a value in QGIS's first page ({time.time() - t:.1f} s) {wrong}")
    for key in unseen:
        i = fields.indexFromName(key)
        got = fields.at(i).typeName() if i >= 0 else "missing"
        note = f"{cid}: {key} is withheld in all of QGIS 3.22's first 10 features, so QGIS 3.22 types it {got} (the schema says number)"
        notes.append(note)
        print("note " + note, flush=True)
    for key in withheld:
        note = f"{cid}: {key} withheld everywhere, type not checkable in QGIS 3.22"
        notes.append(note)
        print("note " + note, flush=True)


# A round other than the latest: QGIS passes the URL's query on to every
# request, as the README says.
rounds = get_json("/api/rounds")["rounds"]
baseline = rounds[0]["round"]
layer = QgsVectorLayer(f"url='{base}/?round={baseline}' typename='villages'", "baseline", "OAPIF")
got = {f["round"].toString("yyyy-MM-dd") for f in layer.getFeatures()}
check(got == {baseline}, f"villages at ?round={baseline} carry rounds {got}")


# Colours: which of the legend's classes show in a rendered image. A class
# counts when enough pixels have its colour, blended at the style's opacity
# over the map's background or the style's own background.
def blended(hex_colour, alpha, bg):
    c = QColor(hex_colour)
    return tuple(round(alpha * v + (1 - alpha) * b) for v, b in zip((c.red(), c.green(), c.blue()), bg))


def classes_shown(image, legend, alphas=(0.85,), min_pixels=30):
    backgrounds = [(255, 255, 255), (0xf4, 0xf1, 0xea)]
    targets = [[blended(e["color"], a, bg) for a in alphas for bg in backgrounds] for e in legend]
    counts = [0] * len(legend)
    step = 2
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            p = image.pixel(x, y)
            rgb = ((p >> 16) & 255, (p >> 8) & 255, p & 255)
            for i, ts in enumerate(targets):
                if any(max(abs(a - b) for a, b in zip(rgb, t)) <= 4 for t in ts):
                    counts[i] += 1
                    break
    return [i for i, n in enumerate(counts) if n >= min_pixels], counts


MERCATOR = QgsCoordinateReferenceSystem("EPSG:3857")


def render(layers, extent, name, size=700):
    s = QgsMapSettings()
    s.setLayers(layers)
    s.setDestinationCrs(MERCATOR)
    s.setExtent(extent)
    s.setOutputSize(QSize(size, size))
    s.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(s)
    job.start()
    job.waitForFinished()  # the job's own signal, not a timer
    image = job.renderedImage()
    image.save(os.path.join(tmp, name + ".png"))
    return image


def regency_extent(layer):
    tr = QgsCoordinateTransform(layer.crs(), MERCATOR, QgsProject.instance())
    return tr.transformBoundingBox(layer.extent())


def non_blank(image):
    bg = image.pixel(0, 0)
    seen = set()
    for y in range(0, image.height(), 7):
        for x in range(0, image.width(), 7):
            seen.add(image.pixel(x, y))
    return len(seen) > 3


style = get_json("/styles/poverty_rate.json?layer=villages")
legend = style["metadata"]["labmap:legend"]
check(len(legend) >= 4, f"the poverty-rate legend has {len(legend)} classes")

# 2. The QML on the OGC API village layer: classes, colours, aliases.
villages = QgsVectorLayer(f"url='{base}' typename='villages'", "villages", "OAPIF")
qml = save("/styles/poverty_rate.qml?layer=villages", "poverty_rate.qml")
msg, ok = villages.loadNamedStyle(qml)
check(ok, f"QML loads: {msg}")
check(villages.renderer().type() == "RuleRenderer", f"QML renderer is {villages.renderer().type()}")
rules = villages.renderer().rootRule().children()
check(len(rules) == len(legend) + 2, f"QML has {len(rules)} rules for {len(legend)} classes + suppressed + no data")
fields = villages.fields()
bad_alias = [k for k, ind in registry.items() if villages.attributeAlias(fields.indexFromName(k)) != ind["label"]]
check(not bad_alias, f"QML aliases are the registry's Indonesian labels (wrong: {bad_alias})")
extent = regency_extent(villages)
shown, counts = classes_shown(render([villages], extent, "qml"), legend)
check(len(shown) >= 4, f"QML render shows {len(shown)} of {len(legend)} classes' colours (pixels {counts})")

# SLD: the same rules through QGIS's SLD reader.
sld_layer = QgsVectorLayer(f"url='{base}' typename='villages'", "villages-sld", "OAPIF")
msg, ok = sld_layer.loadSldStyle(save("/styles/poverty_rate.sld?layer=villages", "poverty_rate.sld"))
check(ok, f"SLD loads: {msg}")
n = len(sld_layer.renderer().rootRule().children()) if sld_layer.renderer().type() == "RuleRenderer" else -1
check(n == len(legend) + 2, f"SLD gives {n} rules for {len(legend)} classes + 2")
shown, counts = classes_shown(render([sld_layer], extent, "sld"), legend)
check(len(shown) >= 4, f"SLD render shows {len(shown)} of {len(legend)} classes' colours (pixels {counts})")

# 3. The MapLibre style through QGIS's own converter on the vector tiles.
for indicator in ["poverty_rate", "dominant_cause", "households"]:
    st = get_json(f"/styles/{indicator}.json?layer=villages")
    conv = QgsMapBoxGlStyleConverter()
    result = conv.convert(st)
    check(result == QgsMapBoxGlStyleConverter.Success and not conv.warnings(),
          f"MapLibre style of {indicator} converts with no warning: {conv.warnings()}")
uri = QgsDataSourceUri()
uri.setParam("type", "xyz")
uri.setParam("url", base + "/tiles/villages,districts,zones/{z}/{x}/{y}.mvt")
uri.setParam("zmin", "0")
uri.setParam("zmax", "16")
tiles = QgsVectorTileLayer(bytes(uri.encodedUri()).decode(), "tiles")
conv = QgsMapBoxGlStyleConverter()
conv.convert(style)
tiles.setRenderer(conv.renderer().clone())
shown, counts = classes_shown(render([tiles], extent, "maplibre"), legend)
check(len(shown) >= 4, f"MapLibre style render shows {len(shown)} of {len(legend)} classes' colours (pixels {counts})")

# 4. The project, downloaded as GIS staff would, opened and drawn.
for ext in ["qgs", "qgz"]:
    path = save(f"/qgis/labmap.{ext}?indicator=poverty_rate&lang=id", "labmap." + ext)
    project = QgsProject.instance()
    project.clear()
    messages.clear()
    check(project.read(path), f"project .{ext} reads: {project.error()}")
    layers = list(project.mapLayers().values())
    invalid = [l.name() for l in layers if not l.isValid()]
    check(len(layers) >= 14 and not invalid, f".{ext}: {len(layers)} layers, invalid: {invalid}")
    check(project.crs().authid() == "EPSG:3857", f".{ext}: project CRS {project.crs().authid()}")
    if ext == "qgz":
        break
    names = {l.id(): l for l in layers}
    zones = get_json("/api/zones")["zones"]
    for z in zones:
        zl = [l for i, l in names.items() if i.startswith("labmap_zone_") and i.endswith("_villages") and z["name"] in l.name()]
        n = sum(1 for _ in zl[0].getFeatures()) if zl else -1
        check(n == len(z["villages"]), f"zone group {z['name']}: {n} villages of {len(z['villages'])}")
    view = project.viewSettings().defaultViewExtent()
    check(not view.isEmpty(), f"project view extent {view.toString()}")
    root = project.layerTreeRoot()
    visible = [l.layer() for l in root.findLayers() if l.isVisible()]
    image = render(visible, QgsRectangle(view), "project")
    shown, counts = classes_shown(image, legend)
    check(non_blank(image) and len(shown) >= 4,
          f"project renders its {len(visible)} visible layers with {len(shown)} classes' colours (pixels {counts})")
    vt = names.get("labmap_tiles_villages")
    if vt is None:
        check(False, "project has the village vector-tile layer")
    else:
        shown, counts = classes_shown(render([vt], QgsRectangle(view), "project-tiles"), legend)
        check(len(shown) >= 4, f"project's village tiles show {len(shown)} classes' colours (pixels {counts})")
    check(not messages, f"no QGIS warnings reading and drawing the project: {messages[:5]}")

server.terminate()
server.wait()
finish()
