package email

import (
	"context"
	"errors"
	"sync"

	"github.com/anliegen/anliegen"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

var _ anliegen.Waiter = (*Connector)(nil)

// Wait blocks until the mailbox holds mail after cursor, using IMAP IDLE,
// and returns nil then; it returns at once when such mail is already
// there (it arrived after the last poll). When ctx ends first it returns
// ctx's error; the runtime passes a context that ends at the next regular
// poll, so a silently dropped IDLE connection costs at most one interval.
// The library re-issues IDLE before the 29-minute server timeout (RFC 2177).
// Errors are *anliegen.PlatformError as for Poll.
func (c *Connector) Wait(ctx context.Context, cursorStr string) error {
	cur, ok, _ := parseCursor(cursorStr)
	news := make(chan struct{}, 1)
	var mu sync.Mutex
	var known uint32
	handler := &imapclient.UnilateralDataHandler{
		// EXISTS is only a wake-up: the count rises when mail arrives.
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages == nil {
				return
			}
			mu.Lock()
			grew := *d.NumMessages > known
			known = *d.NumMessages
			mu.Unlock()
			if grew {
				select {
				case news <- struct{}{}:
				default:
				}
			}
		},
		Expunge: func(uint32) {
			mu.Lock()
			if known > 0 {
				known--
			}
			mu.Unlock()
		},
	}
	sess, err := dialIMAPWith(ctx, c.settings, c.secret.IMAPPassword, handler)
	if err != nil {
		return err
	}
	defer sess.close()
	if !sess.c.Caps().Has(imap.CapIdle) && !sess.c.Caps().Has(imap.CapIMAP4rev2) {
		return &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: errors.New("imap server does not support IDLE")}
	}
	sel, err := sess.c.Select(c.settings.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return selectError(ctx, err)
	}
	if !ok || cur.validity != sel.UIDValidity || (sel.UIDNext != 0 && sel.UIDNext > cur.last+1) {
		return nil
	}
	mu.Lock()
	known = sel.NumMessages
	mu.Unlock()
	idle, err := sess.c.Idle()
	if err != nil {
		return imapError(ctx, "imap idle", err)
	}
	if c.onIdle != nil {
		c.onIdle()
	}
	select {
	case <-news:
	case <-ctx.Done():
	case <-sess.c.Closed():
	}
	// Closing IDLE on a dropped connection fails; that is the error to report.
	closeErr := idle.Close()
	if closeErr == nil {
		closeErr = idle.Wait()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if closeErr != nil {
		return imapError(ctx, "imap idle", closeErr)
	}
	sess.c.Logout().Wait()
	return nil
}
