-- labmap schema 2: the villages file's own geometry, kept for audit when the
-- import's coverage cleaning changed a village (an invalid polygon repaired,
-- an overlap with a neighbour given to one of the two, a sliver gap closed;
-- see geo.CleanCoverage). NULL when the village is stored as the file gave it.
-- Compare with the stored geometry:
--   SELECT code, ST_Area(ST_SymDifference(geom, source_geom)::geography)
--   FROM villages WHERE source_geom IS NOT NULL ORDER BY 2 DESC;
ALTER TABLE villages ADD COLUMN source_geom geometry(MultiPolygon, 4326);
