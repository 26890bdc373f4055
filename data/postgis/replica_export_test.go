package postgis

import "time"

// SetReplicaFastPoll changes how often a store polls its replicas while one
// is behind, so a test can leave the move to a new version to its reads.
func SetReplicaFastPoll(s *Store, d time.Duration) { s.fastPoll.Store(int64(d)) }
