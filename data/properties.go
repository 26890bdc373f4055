package data

// PropertyNames are the properties of a level's features, in the order every
// output lists them (OGC API items, CSV columns, GeoPackage fields, QGIS
// aliases): identity, zone membership, round, suppression, then every
// indicator of the registry.
func PropertyNames(level Level) []string {
	names := []string{"code", "name"}
	switch level {
	case LevelVillage:
		names = append(names, "district_code")
	case LevelZone:
		names = append(names, "kind")
	case LevelHexagon:
		names = append(names, "res")
	}
	names = append(names, "zones", "round", "suppressed")
	for _, ind := range Indicators {
		names = append(names, ind.Key)
	}
	return names
}
