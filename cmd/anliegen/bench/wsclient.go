package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// wsClient is a minimal websocket client: one goroutine, a 512-byte read
// buffer, no write buffer. It is written by hand instead of using a
// library client so that the clients, which live in the same process as
// the server, add as little as possible to the memory measured per
// connection, and so that their own cost can be measured alike (see
// clientBaseline).
type wsClient struct {
	conn net.Conn
	br   *bufio.Reader
	// recv holds every event frame's id and arrival time; only the read
	// goroutine writes it, and it is read after that goroutine ended.
	recv []arrival
	// lastID is the highest event id received, for waiting while the
	// read goroutine runs.
	lastID atomic.Int64
	done   chan struct{}
}

// arrival is when a frame with an event id came in.
type arrival struct {
	id int64
	at time.Time
}

const clientReadBuffer = 512

// dialWS opens the event stream at addr with the session cookie.
func dialWS(ctx context.Context, addr, cookie string) (*wsClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial stream: %w", err)
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	req := "GET /api/v1/stream HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n" +
		"Cookie: " + cookie + "\r\n\r\n"
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, fmt.Errorf("stream handshake: %w", err)
	}
	br := bufio.NewReaderSize(conn, clientReadBuffer)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("stream handshake: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, fmt.Errorf("stream handshake: status %s", resp.Status)
	}
	_ = conn.SetDeadline(time.Time{})
	c := &wsClient{conn: conn, br: br, done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

// readLoop reads frames until the connection ends, recording event ids
// and answering pings.
func (c *wsClient) readLoop() {
	defer close(c.done)
	var msg []byte
	for {
		fin, op, payload, err := c.frame()
		if err != nil {
			return
		}
		switch op {
		case 0x9: // ping
			if c.pong(payload) != nil {
				return
			}
		case 0x8: // close
			return
		case 0x1, 0x0: // text, continuation
			msg = append(msg, payload...)
			if fin {
				if id := eventID(msg); id > 0 {
					c.recv = append(c.recv, arrival{id: id, at: time.Now()})
					if id > c.lastID.Load() {
						c.lastID.Store(id)
					}
				}
				msg = msg[:0]
			}
		}
	}
}

// frame reads one server frame (servers do not mask).
func (c *wsClient) frame() (fin bool, op byte, payload []byte, err error) {
	var h [8]byte
	if _, err := io.ReadFull(c.br, h[:2]); err != nil {
		return false, 0, nil, err
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	masked, n := h[1]&0x80 != 0, uint64(h[1]&0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(c.br, h[:2]); err != nil {
			return false, 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(h[:2]))
	case 127:
		if _, err := io.ReadFull(c.br, h[:8]); err != nil {
			return false, 0, nil, err
		}
		n = binary.BigEndian.Uint64(h[:8])
	}
	if masked || n > 1<<20 {
		return false, 0, nil, errors.New("unexpected frame")
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(c.br, payload)
	return fin, op, payload, err
}

// pong answers a ping; client frames must be masked, and a zero mask
// leaves the payload as it is.
func (c *wsClient) pong(payload []byte) error {
	f := append([]byte{0x8a, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.conn.Write(f)
	return err
}

// Close closes the connection and waits for the read goroutine.
func (c *wsClient) Close() {
	c.conn.Close()
	<-c.done
}

// eventID returns the "id" of an event frame, which the hub writes as the
// first field; 0 for other frames (presence).
func eventID(msg []byte) int64 {
	rest, ok := bytes.CutPrefix(msg, []byte(`{"id":`))
	if !ok {
		return 0
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(rest[:end])), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
