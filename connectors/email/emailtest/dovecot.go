// Package emailtest provides real mail servers for tests of the e-mail
// connector: a throw-away Dovecot IMAP server and an in-process SMTP sink
// with fault injection.
package emailtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// DovecotPath is where Debian's dovecot-imapd installs the server.
const DovecotPath = "/usr/sbin/dovecot"

// Dovecot is a running Dovecot serving IMAP on 127.0.0.1 without TLS, with
// one user whose mail lives in a temporary maildir.
type Dovecot struct {
	Addr     string // 127.0.0.1:port; offers STARTTLS when started with a Cert
	TLSAddr  string // 127.0.0.1:port with implicit TLS; "" without a Cert
	User     string
	Password string
	dir      string
	cmd      *exec.Cmd
	done     chan struct{}
}

// Dovecot 2.3 syntax (Debian 12). Mail and login processes must not run as
// root, so under root they run as an unprivileged system user; otherwise
// everything runs as the current user.
var confTemplate = template.Must(template.New("dovecot.conf").Parse(`
base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
log_path = {{.Dir}}/dovecot.log
protocols = imap
listen = 127.0.0.1
{{if .TLS}}ssl = yes
ssl_cert = <{{.Dir}}/cert.pem
ssl_key = <{{.Dir}}/key.pem
{{else}}ssl = no
{{end}}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {{.Internal}}
default_internal_group = {{.InternalGroup}}
default_login_user = {{.Login}}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{{.Dir}}/mail/%u
# IDLE notices new mail by inotify; where a container limits inotify it
# falls back to polling, every second here instead of 30 s.
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.Dir}}/passwd
}
userdb {
  driver = static
  args = uid={{.UID}} gid={{.GID}} home={{.Dir}}/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = {{.Port}}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = {{.TLSPort}}
{{if .TLS}}    ssl = yes
{{end}}  }
}
service anvil {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 100
}
`))

type confData struct {
	Dir, Internal, InternalGroup, Login string
	UID, GID, Port, TLSPort             int
	TLS                                 bool
}

// StartDovecot starts a Dovecot for t and stops it in t.Cleanup. It skips
// the test when Dovecot is not installed, unless env CI is set. With a
// cert it also speaks STARTTLS on Addr and implicit TLS on TLSAddr.
func StartDovecot(t testing.TB, cert ...*Cert) *Dovecot {
	t.Helper()
	if _, err := os.Stat(DovecotPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dovecot missing (install dovecot-imapd): %v", err)
		}
		t.Skipf("dovecot not installed at %s", DovecotPath)
	}
	var err error
	for range 3 { // a free port can be taken between probe and bind
		var d *Dovecot
		if d, err = startDovecot(t, cert); err == nil {
			return d
		}
	}
	t.Fatalf("start dovecot: %v", err)
	return nil
}

func startDovecot(t testing.TB, cert []*Cert) (*Dovecot, error) {
	// Not t.TempDir: unix socket paths must stay under 108 bytes, and the
	// unprivileged mail user must be able to enter the directory.
	dir, err := os.MkdirTemp("", "dovecot-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := confFor(dir)
	if err != nil {
		return nil, err
	}
	if data.Port, err = freePort(); err != nil {
		return nil, err
	}
	d := &Dovecot{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(data.Port)), User: "buergerservice", Password: "geheim-123", dir: dir}
	if len(cert) > 0 && cert[0] != nil {
		data.TLS = true
		if data.TLSPort, err = freePort(); err != nil {
			return nil, err
		}
		d.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(data.TLSPort))
		if err := os.WriteFile(filepath.Join(dir, "cert.pem"), cert[0].CertPEM, 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "key.pem"), cert[0].KeyPEM, 0o600); err != nil {
			return nil, err
		}
	}
	if err := writeFiles(dir, data, d); err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	d.cmd = exec.Command(DovecotPath, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	d.cmd.Stderr = &stderr
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	d.done = make(chan struct{})
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(d.stop)
	if err := d.waitReady(); err != nil {
		d.stop()
		log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		return nil, fmt.Errorf("%w\nstderr: %s\nlog: %s", err, stderr.String(), log)
	}
	return d, nil
}

func confFor(dir string) (confData, error) {
	data := confData{Dir: dir, UID: os.Getuid(), GID: os.Getgid()}
	cur, err := user.Current()
	if err != nil {
		return data, err
	}
	data.Internal, data.Login = cur.Username, cur.Username
	if g, err := user.LookupGroupId(strconv.Itoa(os.Getgid())); err == nil {
		data.InternalGroup = g.Name
	}
	if os.Geteuid() == 0 {
		// Dovecot refuses root for login and mail processes.
		u, err := user.Lookup("dovenull")
		if err != nil {
			if u, err = user.Lookup("nobody"); err != nil {
				return data, fmt.Errorf("no unprivileged user for dovecot: %w", err)
			}
		}
		data.Login = u.Username
		data.UID, _ = strconv.Atoi(u.Uid)
		data.GID, _ = strconv.Atoi(u.Gid)
	}
	return data, nil
}

func writeFiles(dir string, data confData, d *Dovecot) error {
	var conf bytes.Buffer
	if err := confTemplate.Execute(&conf, data); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), conf.Bytes(), 0o644); err != nil {
		return err
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s\n", d.User, d.Password)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		return err
	}
	for _, sub := range []string{"run", "state", "mail", "home"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for _, sub := range []string{"mail", "home"} {
		if err := os.Chown(filepath.Join(dir, sub), data.UID, data.GID); err != nil {
			return err
		}
	}
	return os.Chmod(dir, 0o755)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until Dovecot greets, or exits.
func (d *Dovecot) waitReady() error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			return fmt.Errorf("dovecot exited: %v", d.cmd.ProcessState)
		default:
		}
		conn, err := net.DialTimeout("tcp", d.Addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			n, _ := conn.Read(buf)
			conn.Close()
			if bytes.HasPrefix(buf[:n], []byte("* OK")) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("dovecot not ready on %s", d.Addr)
}

// stop kills the throw-away server's process group and waits for the
// master. A polite SIGTERM costs Dovecot over a second per test, and there
// is nothing to flush: the maildir goes away with the test.
func (d *Dovecot) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.done
}

// Log returns Dovecot's log so far, for failure messages.
func (d *Dovecot) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "dovecot.log"))
	return string(b)
}

// Client returns a logged-in IMAP client, closed in t.Cleanup.
func (d *Dovecot) Client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.Addr, nil)
	if err != nil {
		t.Fatalf("imap dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(d.User, d.Password).Wait(); err != nil {
		t.Fatalf("imap login: %v\n%s", err, d.Log())
	}
	return c
}

// Append stores raw in mailbox over IMAP APPEND (creating the mailbox if
// needed) and returns its UID.
func (d *Dovecot) Append(t testing.TB, mailbox string, raw []byte) imap.UID {
	t.Helper()
	c := d.Client(t)
	defer logout(c)
	uids := appendAll(t, c, mailbox, [][]byte{raw})
	return uids[0]
}

// AppendMany stores many messages over one connection, in order.
func (d *Dovecot) AppendMany(t testing.TB, mailbox string, raws [][]byte) []imap.UID {
	t.Helper()
	c := d.Client(t)
	defer logout(c)
	return appendAll(t, c, mailbox, raws)
}

func appendAll(t testing.TB, c *imapclient.Client, mailbox string, raws [][]byte) []imap.UID {
	t.Helper()
	if mailbox != "INBOX" {
		// An existing mailbox answers NO [ALREADYEXISTS], which is fine.
		c.Create(mailbox, nil).Wait()
	}
	uids := make([]imap.UID, 0, len(raws))
	for _, raw := range raws {
		cmd := c.Append(mailbox, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatalf("imap append write: %v", err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatalf("imap append close: %v", err)
		}
		data, err := cmd.Wait()
		if err != nil {
			t.Fatalf("imap append: %v", err)
		}
		uids = append(uids, data.UID)
	}
	return uids
}

// CreateMailbox creates mailbox.
func (d *Dovecot) CreateMailbox(t testing.TB, mailbox string) {
	t.Helper()
	c := d.Client(t)
	defer logout(c)
	if err := c.Create(mailbox, nil).Wait(); err != nil {
		t.Fatalf("imap create %s: %v", mailbox, err)
	}
}

// DeleteMailbox deletes mailbox; re-creating it gives a new UIDVALIDITY.
func (d *Dovecot) DeleteMailbox(t testing.TB, mailbox string) {
	t.Helper()
	c := d.Client(t)
	defer logout(c)
	if err := c.Delete(mailbox).Wait(); err != nil {
		t.Fatalf("imap delete %s: %v", mailbox, err)
	}
}

// Expunge deletes the message with uid from mailbox for good.
func (d *Dovecot) Expunge(t testing.TB, mailbox string, uid imap.UID) {
	t.Helper()
	c := d.Client(t)
	defer logout(c)
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatalf("imap select: %v", err)
	}
	set := imap.UIDSetNum(uid)
	store := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil)
	if err := store.Close(); err != nil {
		t.Fatalf("imap store: %v", err)
	}
	if err := c.UIDExpunge(set).Close(); err != nil {
		t.Fatalf("imap expunge: %v", err)
	}
}

// Search returns the UIDs in mailbox whose header key contains value.
func (d *Dovecot) Search(t testing.TB, mailbox, key, value string) []imap.UID {
	t.Helper()
	c := d.Client(t)
	defer logout(c)
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("imap select %s: %v", mailbox, err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: key, Value: value}}}, nil).Wait()
	if err != nil {
		t.Fatalf("imap search: %v", err)
	}
	return data.AllUIDs()
}

// UIDValidity returns mailbox's UIDVALIDITY.
func (d *Dovecot) UIDValidity(t testing.TB, mailbox string) uint32 {
	t.Helper()
	c := d.Client(t)
	defer logout(c)
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("imap select %s: %v", mailbox, err)
	}
	return sel.UIDValidity
}

func logout(c *imapclient.Client) {
	c.Logout().Wait()
	c.Close()
}
