// Package demo seeds a store with the sample town "Musterstadt" (departments,
// routing rules, canned answers, users and 400 fictional inquiries) and runs a
// simulated Mastodon instance whose citizens keep writing to the town.
package demo

import (
	_ "embed"

	"github.com/anliegen/anliegen"
)

// inquiries is a copy of testdata/inquiries-dev.jsonl, embedded so that the
// demo needs no files beside the binary.
//
//go:embed inquiries.jsonl
var inquiries []byte

// Inquiries returns the embedded sample inquiries as JSON Lines.
func Inquiries() []byte { return inquiries }

// Departments are Musterstadt's departments, the ids the sample data uses.
func Departments() []anliegen.Department {
	return []anliegen.Department{
		{ID: "buergeramt", Name: "Bürgeramt"},
		{ID: "standesamt", Name: "Standesamt"},
		{ID: "kfz", Name: "Kfz-Zulassung und Führerscheine"},
		{ID: "ordnungsamt", Name: "Ordnungsamt"},
		{ID: "verkehr", Name: "Straßen und Verkehr"},
		{ID: "abfall", Name: "Abfallwirtschaft"},
		{ID: "jugend", Name: "Jugend und Familie"},
		{ID: "schule", Name: "Schulen"},
		{ID: "soziales", Name: "Soziales und Wohnen"},
		{ID: "bau", Name: "Bauordnung und Stadtplanung"},
		{ID: "umwelt", Name: "Umwelt und Grünflächen"},
		{ID: "finanzen", Name: "Finanzen und Steuern"},
		{ID: "kultur", Name: "Kultur und Bildung"},
		{ID: "sport", Name: "Sport und Bäder"},
		{ID: "katastrophenschutz", Name: "Katastrophenschutz"},
		{ID: "presse", Name: "Presse und Öffentlichkeitsarbeit"},
		{ID: "datenschutz", Name: "Datenschutz"},
		{ID: "spam", Name: "Spam und Missbrauch"},
	}
}

// Rules route new tickets by keywords (word prefixes, see anliegen.Router).
// Danger first: a flood report that mentions a road goes to civil
// protection, urgently.
func Rules() []anliegen.Rule {
	type r struct {
		name, dept string
		prio       anliegen.Priority
		keywords   []string
	}
	list := []r{
		{"Gefahrenlage", "katastrophenschutz", anliegen.PriorityUrgent, []string{"hochwasser", "überschwemm", "überflut", "unwetter", "sturm", "stromausfall", "sirene", "sandsäck", "sandsack", "evakuier", "pegel", "mühlbach"}},
		{"Datenschutz", "datenschutz", "", []string{"datenschutz", "dsgvo", "auskunft nach", "meine daten", "löschung meiner", "personenbezogen"}},
		{"Spam", "spam", anliegen.PriorityLow, []string{"bitcoin", "krypto", "casino", "gewinnspiel", "jetzt klicken", "klick hier", "viagra", "rabattcode", "verdienen sie"}},
		{"Abfall", "abfall", "", []string{"müll", "sperrmüll", "abfall", "tonne", "biotonne", "gelbe sack", "gelben sack", "gelbe säcke", "wertstoff", "recyclinghof", "entsorg", "altglas", "container"}},
		{"Kfz", "kfz", "", []string{"zulassung", "kennzeichen", "führerschein", "kfz", "wunschkennzeichen", "fahrzeug", "umschreib", "tüv"}},
		{"Standesamt", "standesamt", "", []string{"standesamt", "geburtsurkunde", "heirat", "hochzeit", "eheschließ", "trauung", "sterbeurkunde", "namensänderung", "urkunde"}},
		{"Bürgeramt", "buergeramt", "", []string{"personalausweis", "ausweis", "reisepass", "pass ", "ummeld", "anmeld", "wohnsitz", "meldebescheinigung", "führungszeugnis", "fundbüro", "fundsache", "verloren", "bürgeramt"}},
		{"Schule", "schule", "", []string{"schule", "einschulung", "schulweg", "ganztag", "ogs", "grundschule", "schüler"}},
		{"Jugend", "jugend", "", []string{"kita", "kindergarten", "betreuungsplatz", "krippe", "jugendzentrum", "elterngeld", "jugendamt", "tagesmutter"}},
		{"Soziales", "soziales", "", []string{"wohngeld", "bürgergeld", "grundsicherung", "wohnberechtigung", "wbs", "senior", "geflüchtet", "flüchtling", "sozialamt", "pflege"}},
		{"Bau", "bau", "", []string{"bauantrag", "baugenehmigung", "bebauungsplan", "denkmal", "bauamt", "anbau", "carport", "baulärm", "dachausbau"}},
		{"Finanzen", "finanzen", "", []string{"grundsteuer", "hundesteuer", "gewerbesteuer", "gebührenbescheid", "mahnung", "bescheid", "steuer", "lastschrift", "überweisung", "säumnis"}},
		{"Verkehr", "verkehr", "", []string{"schlagloch", "ampel", "baustelle", "radweg", "laterne", "straßenbeleuchtung", "bushaltestelle", "winterdienst", "gehweg", "umleitung", "straße", "glätte", "streu"}},
		{"Ordnung", "ordnungsamt", "", []string{"lärm", "ruhestörung", "falschpark", "parkt", "parken", "hund", "gewerbe", "ordnungsamt", "feuerwerk", "genehmigung für", "nachbar"}},
		{"Umwelt", "umwelt", "", []string{"baum", "bäume", "park", "grünfläche", "spielplatz", "hitze", "klimaschutz", "wiese", "ast ", "äste"}},
		{"Kultur", "kultur", "", []string{"bibliothek", "bücherei", "museum", "stadtfest", "vhs", "volkshochschule", "konzert", "theater", "ausstellung"}},
		{"Sport", "sport", "", []string{"schwimmbad", "freibad", "hallenbad", "sporthalle", "sportverein", "turnhalle", "sportplatz", "bad "}},
		{"Presse", "presse", "", []string{"interview", "presse", "gerücht", "stimmt es", "fake", "zensur", "kommentar gelöscht", "ihr post", "euer post"}},
	}
	out := make([]anliegen.Rule, len(list))
	for i, x := range list {
		out[i] = anliegen.Rule{Name: x.name, Position: (i + 1) * 10, Enabled: true, Keywords: x.keywords,
			Department: x.dept, Priority: x.prio}
	}
	return out
}

// CannedAnswers are reusable replies; {name} is filled by the composer.
func CannedAnswers() []anliegen.CannedAnswer {
	return []anliegen.CannedAnswer{
		{Title: "Danke für den Hinweis", Shortcut: "danke", Text: "Hallo {name}, vielen Dank für Ihren Hinweis! Wir haben ihn an die zuständige Stelle weitergegeben und melden uns, sobald wir mehr wissen. ^SM"},
		{Title: "Bitte per Direktnachricht", Shortcut: "dm", Text: "Hallo {name}, damit Ihre persönlichen Daten nicht öffentlich stehen, schreiben Sie uns bitte eine Direktnachricht. Dort können wir Ihr Anliegen genau prüfen. ^SM"},
		{Title: "Sperrmüll anmelden", Shortcut: "sperrmuell", Department: "abfall", Text: "Hallo {name}, Sperrmüll melden Sie online unter musterstadt.de/sperrmuell oder telefonisch unter 01234 56-7300 an. Zweimal im Jahr ist die Abholung von bis zu 3 m³ kostenlos. ^AW"},
		{Title: "Abfuhr verschoben", Shortcut: "abfuhr", Department: "abfall", Text: "Hallo {name}, wegen des Feiertags verschiebt sich die Abfuhr in dieser Woche um einen Tag. Alle Termine finden Sie im Abfallkalender unter musterstadt.de/abfall. ^AW"},
		{Title: "Termin Bürgeramt", Shortcut: "termin", Department: "buergeramt", Text: "Hallo {name}, Termine im Bürgeramt buchen Sie unter musterstadt.de/termine. Jeden Morgen um 7:30 Uhr werden zusätzliche Termine für den nächsten Tag freigeschaltet. ^BA"},
		{Title: "Schlagloch gemeldet", Shortcut: "schlagloch", Department: "verkehr", Text: "Hallo {name}, danke für die Meldung! Der Straßenunterhalt sieht sich die Stelle in den nächsten Tagen an. Schäden können Sie auch über musterstadt.de/maengelmelder melden. ^TV"},
	}
}
