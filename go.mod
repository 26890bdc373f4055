module labmap

go 1.26.8

require (
	github.com/gorilla/mux v1.8.1
	github.com/paulmach/orb v0.14.0
	github.com/uber/h3-go/v4 v4.1.0
)
