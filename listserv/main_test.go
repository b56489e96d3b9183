package listserv

import (
	"testing"

	"tacit/internal/pgtest"
)

// TestMain stops the private PostgreSQL of the tests that use one
// (cluster_pg_test.go) when the tests end.
func TestMain(m *testing.M) { pgtest.Main(m) }
