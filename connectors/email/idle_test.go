package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email/emailtest"
)

func idleRig(t *testing.T) (*emailtest.Dovecot, *Connector) {
	t.Helper()
	d := emailtest.StartDovecot(t)
	settings, _ := json.Marshal(Settings{IMAPAddr: d.Addr, IMAPTLS: TLSNone, IMAPUsername: d.User,
		SMTPAddr: "127.0.0.1:1", SMTPTLS: TLSNone, FromAddress: "buergerservice@musterstadt.example"})
	secret, _ := json.Marshal(Secret{IMAPPassword: d.Password})
	c, err := New(anliegen.Channel{Platform: anliegen.PlatformEmail, Settings: settings, Secret: secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

func testMail(n int) []byte {
	return crlf(fmt.Sprintf("From: a@example.org\nMessage-ID: <idle-%d@example.org>\nSubject: Anfrage %d\n\nText\n", n, n))
}

func TestWaitWakesOnNewMail(t *testing.T) {
	d, c := idleRig(t)
	d.Append(t, "INBOX", testMail(1))
	res, err := c.Poll(context.Background(), "")
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("poll: %v %v", res.Items, err)
	}
	idling := false
	c.onIdle = func() {
		idling = true
		d.Append(t, "INBOX", testMail(2)) // arrives while IDLE runs
	}
	if err := c.Wait(context.Background(), res.Cursor); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if !idling {
		t.Fatal("Wait returned before IDLE started")
	}
	res, err = c.Poll(context.Background(), res.Cursor)
	if err != nil || len(res.Items) != 1 || res.Items[0].ExternalID != "idle-2@example.org" {
		t.Fatalf("poll after wake-up: %+v %v", res.Items, err)
	}
}

func TestWaitReturnsAtOnceWhenMailIsWaiting(t *testing.T) {
	d, c := idleRig(t)
	d.Append(t, "INBOX", testMail(1))
	res, err := c.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	d.Append(t, "INBOX", testMail(2))
	c.onIdle = func() { t.Error("IDLE started although mail was waiting") }
	for _, cur := range []string{res.Cursor, "", "v1:1:1"} {
		if err := c.Wait(context.Background(), cur); err != nil {
			t.Errorf("Wait(%q): %v", cur, err)
		}
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	_, c := idleRig(t)
	res, err := c.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	c.onIdle = cancel
	if err := c.Wait(ctx, res.Cursor); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}
