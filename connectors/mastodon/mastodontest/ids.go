package mastodontest

import (
	"strconv"
	"time"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID returns an id greater than every earlier one: a Mastodon snowflake
// (milliseconds << 16 | sequence, in decimal) or, for GoToSocial, a ULID.
// Callers hold s.mu.
func (s *Server) newID() string {
	now := s.opts.Now()
	var id string
	if s.opts.GoToSocial {
		id = s.ulid(now)
	} else {
		n := uint64(now.UnixMilli())<<16 | uint64(s.rnd.IntN(1<<10))
		id = strconv.FormatUint(n, 10)
	}
	if s.lastID != "" && compareID(id, s.lastID) <= 0 {
		id = nextID(s.lastID, s.opts.GoToSocial)
	}
	s.lastID = id
	return id
}

func (s *Server) ulid(t time.Time) string {
	ms := uint64(t.UnixMilli())
	buf := make([]byte, 26)
	for i := 9; i >= 0; i-- {
		buf[i] = crockford[ms&31]
		ms >>= 5
	}
	hi, lo := uint64(s.rnd.Uint32()&0xffff), s.rnd.Uint64()
	for i := 25; i >= 10; i-- {
		buf[i] = crockford[lo&31]
		lo = lo>>5 | (hi&31)<<59
		hi >>= 5
	}
	return string(buf)
}

// nextID is the smallest id after last in the same format.
func nextID(last string, ulid bool) string {
	if !ulid {
		n, _ := strconv.ParseUint(last, 10, 64)
		return strconv.FormatUint(n+1, 10)
	}
	b := []byte(last)
	for i := len(b) - 1; i >= 0; i-- {
		j := indexByte(crockford, b[i])
		if j < 31 {
			b[i] = crockford[j+1]
			return string(b)
		}
		b[i] = '0'
	}
	return string(b)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return 0
}

// compareID orders ids as the server does: both formats sort by length,
// then bytewise. Clients must not do this; the fake may.
func compareID(a, b string) int {
	switch {
	case len(a) != len(b):
		if len(a) < len(b) {
			return -1
		}
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
