package connectors_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

// TestPropertyEveryItemOnce runs the scheduler over several channels while
// their platforms answer with random sequences of 429s, 5xx, timeouts and
// garbled pages, and citizens keep writing (some payloads permanently
// malformed). Whatever the sequence, every good item ends up stored exactly
// once, and after every ingest no stored cursor lies past an item that is
// not stored (deliberately skipped malformed ones aside).
func TestPropertyEveryItemOnce(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() || raceEnabled {
		seeds = seeds[:1] // SQLite runs about a hundred times slower under -race
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { propertyRun(t, seed) })
	}
}

// population is what citizens wrote on one fake instance.
type population struct {
	fake     *mastodontest.Server
	citizens []mastodontest.Account
	post     string // the town's post citizens comment under
	good     map[string]bool
	bad      map[string]bool // corrupt payloads: skipped, never stored
}

func newPopulation(t testing.TB, fake *mastodontest.Server) *population {
	p := &population{fake: fake, good: map[string]bool{}, bad: map[string]bool{}}
	for _, h := range []string{"anna", "fredi@nordlicht.social", "kevko_91@example.org"} {
		p.citizens = append(p.citizens, fake.AddAccount(h, strings.ToUpper(h[:1])+h[1:4]))
	}
	st, err := fake.Post(fake.Town(), mastodontest.Post{Text: "Die neuen Abfuhrtermine sind da."})
	if err != nil {
		t.Fatal(err)
	}
	p.post = st.ID
	return p
}

func (p *population) write(t testing.TB, rnd *rand.Rand, n int) {
	for i := range n {
		who := p.citizens[rnd.IntN(len(p.citizens))]
		var st mastodontest.Status
		var err error
		switch k := rnd.IntN(10); {
		case k < 5:
			st, err = p.fake.Mention(who, fmt.Sprintf("Frage %d", i))
		case k < 7:
			st, err = p.fake.DirectMessage(who, fmt.Sprintf("Privat %d", i))
		default:
			st, err = p.fake.Reply(who, p.post, fmt.Sprintf("Kommentar %d", i))
		}
		if err != nil {
			t.Fatal(err)
		}
		if rnd.IntN(25) == 0 {
			p.fake.Corrupt(st.ID)
			p.bad[st.ID] = true
			continue
		}
		p.good[st.ID] = true
	}
}

// cursorViolation returns a good item at or below cursor that is not in
// stored, or "".
func (p *population) cursorViolation(cursor string, stored map[string]int) string {
	lo, hi := "", cursor
	if rest, ok := strings.CutPrefix(cursor, "backfill:"); ok {
		q, _ := url.ParseQuery(rest)
		lo, hi = q.Get("below"), q.Get("top")
	}
	if hi == "" {
		return ""
	}
	for _, n := range p.fake.Notifications(p.fake.Town().ID) {
		inRange := mastodontest.CompareID(n.ID, hi) <= 0 && (lo == "" || mastodontest.CompareID(n.ID, lo) >= 0)
		if inRange && n.Visible && p.good[n.StatusID] && stored[n.StatusID] == 0 {
			return n.StatusID
		}
	}
	return ""
}

func propertyRun(t *testing.T, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, 7))
	const channels = 3
	r := newRig(t, channels, mastodontest.Options{RateLimit: 40})
	pops := make([]*population, channels)
	byChannel := map[int64]*population{}
	for i, fake := range r.fakes {
		pops[i] = newPopulation(t, fake)
		pops[i].write(t, rnd, 10+rnd.IntN(90))
		byChannel[r.chs[i].ID] = pops[i]
	}
	var mu sync.Mutex
	var violations []string
	r.db.setHooks(nil, func(chID int64, cursor string) {
		stored, err := r.db.stored(chID)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			violations = append(violations, err.Error())
		} else if id := byChannel[chID].cursorViolation(cursor, stored); id != "" {
			violations = append(violations, fmt.Sprintf("channel %d: cursor %q is past unstored item %s", chID, cursor, id))
		}
	})
	run(t, r.runtime(t, seed))

	faults := []mastodontest.Fault{mastodontest.FaultServerError, mastodontest.FaultUnavailable,
		mastodontest.FaultRateLimited, mastodontest.FaultTimeout, mastodontest.FaultMalformed}
	for range 12 {
		p := pops[rnd.IntN(channels)]
		p.fake.Inject(faults[rnd.IntN(len(faults))], 1+rnd.IntN(4))
		p.write(t, rnd, rnd.IntN(20))
		time.Sleep(time.Duration(rnd.IntN(30)) * time.Millisecond) // let polls interleave with the faults
	}
	eventually(t, "every good item stored and every fault played", func() bool {
		for i, p := range pops {
			stored := r.db.storedIDs(t, r.chs[i].ID)
			for id := range p.good {
				if stored[id] == 0 {
					return false
				}
			}
			if p.fake.PendingFaults() > 0 {
				return false
			}
		}
		return true
	})
	for i, p := range pops {
		assertOnce(t, r.db.storedIDs(t, r.chs[i].ID), p.good)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, v := range violations {
		t.Error(v)
	}
}
