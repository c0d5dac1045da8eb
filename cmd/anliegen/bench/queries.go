package bench

// benchQueries are what staff type into the search box: short, partly
// lower case, some misspelled, some compound words.
var benchQueries = []string{
	"Sperrmüll anmelden Kosten", "personalausweiss verloren", "Bürgeramt keine Termine frei",
	"gelber sack nicht abgeholt", "gelbe Säcke wo bekommen", "Kita Gebühren Geschwister", "Kitaplatz anmelden",
	"Schlagloch melden", "Straßenlaterne kaputt", "Baustelle Bahnhofstraße wie lange", "Hundesteuer anmelden Höhe",
	"wunschkennzeichen reservieren kosten", "Ruhestörung nachts Party Nachbar", "Falschparker auf Radweg",
	"Wohngeld Bearbeitungszeit", "Führungszeugnis beantragen", "Ummeldung Frist Umzug", "Sandsäcke Hochwasser",
	"Mühlbach-Brücke gesperrt", "Hallenbad Öffnungszeiten", "Bibliotheksausweis Onleihe", "Linden gefällt Lindenallee",
	"DSGVO Auskunft gespeicherte Daten", "Geburtsurkunde bestellen", "Trautermin reservieren",
	"führerschein umtausch frist", "Auto online zulassen", "Auto abmelden", "Gewerbe anmelden",
	"Straßenfest Genehmigung", "Leinenpflicht Stadtpark", "Mahnung obwohl bezahlt", "Kontoänderung Lastschrift",
	"Grundsteuer Bescheid höher", "Passfoto Bürgeramt", "Meldebescheinigung online", "wertstofhof samstag",
	"ampel ausgefallen", "baum riss kastanie", "sirene übung", "glatteis nicht geräumt", "carport baugenehmigung",
}
