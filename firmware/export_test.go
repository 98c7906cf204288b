package firmware

// QueryInt and QueryHas expose the query parsers to the fuzz targets.
var (
	QueryInt = queryInt
	QueryHas = queryHas
)
