package main

import (
	"context"
	"fmt"

	"github.com/anliegen/anliegen/storage"
)

// openStore opens the SQLite store in the data directory, creating both.
// SQLite's WAL lets it run beside a server on the same directory.
func (g *Global) openStore(ctx context.Context) (*storage.DB, error) {
	if err := g.ensureDataDir(); err != nil {
		return nil, err
	}
	db, err := storage.Open(ctx, g.Data, g.Logger)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}
