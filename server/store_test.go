package server

import (
	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// The store implements the services as the storage helpers land them; the
// assertions pick up each one as soon as it exists, so the handler tests
// always run against the real store.

func storeTickets(db *storage.DB) anliegen.TicketService {
	if s, ok := any(db).(anliegen.TicketService); ok {
		return s
	}
	return nil
}

func storeChannels(db *storage.DB) anliegen.ChannelService {
	if s, ok := any(db).(anliegen.ChannelService); ok {
		return s
	}
	return nil
}

func storeReads(db *storage.DB) ReadMarker {
	if s, ok := any(db).(ReadMarker); ok {
		return s
	}
	return nil
}
