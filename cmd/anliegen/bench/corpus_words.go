package bench

// The vocabulary of the generated corpus: fictional German citizen
// inquiries of the fictional town Musterstadt, in the style of
// testdata/inquiries-dev.jsonl. Test data, hence German.

// department is one department's share of the mail and its templates.
type department struct {
	id        string
	weight    int
	subjects  []string
	questions []string
	answers   []string
}

var departments = []department{
	{id: "buergeramt", weight: 50,
		subjects: []string{"Termin Bürgeramt", "Personalausweis", "Ummeldung", "Reisepass"},
		questions: []string{
			"Mein Personalausweis ist abgelaufen, wie bekomme ich schnell einen Termin im Bürgeramt?",
			"Ich habe meinen Ausweis verloren, was muss ich jetzt tun?",
			"Wir sind in die {street} {nr} gezogen, bis wann muss ich mich ummelden?",
			"Kann ich die Meldebescheinigung auch online beantragen?",
			"Seit {weeks} Wochen finde ich keinen freien Termin im Bürgeramt, gibt es eine Warteliste?",
			"Ist mein Reisepass schon abholbereit? Antrag war am {date}",
			"Brauche dringend ein Führungszeugnis für den neuen Job, geht das online?",
			"Wo kann ich in Musterstadt ein biometrisches Passfoto machen lassen?",
		},
		answers: []string{
			"Termine im Bürgeramt buchen Sie unter musterstadt.de/termine; täglich um 7 Uhr werden neue Termine freigeschaltet.",
			"Einen Verlust melden Sie bitte im Bürgeramt oder bei der Polizei, anschließend beantragen Sie einen neuen Ausweis.",
			"Die Ummeldung muss innerhalb von zwei Wochen nach dem Umzug erfolgen, online mit der eID oder vor Ort.",
			"Das Führungszeugnis beantragen Sie online über das Portal des Bundesamts für Justiz mit Ihrem Online-Ausweis.",
		}},
	{id: "abfall", weight: 40,
		subjects: []string{"Sperrmüll", "Müllabfuhr", "Gelber Sack"},
		questions: []string{
			"Die gelben Säcke in der {street} wurden schon wieder nicht abgeholt!",
			"Wie melde ich Sperrmüll an und was kostet das?",
			"Wo bekomme ich neue gelbe Säcke?",
			"Am {place} hat jemand illegal Müll abgeladen, Matratzen und Farbeimer.",
			"Wann hat der Wertstoffhof am Samstag geöffnet?",
			"Unsere Biotonne wurde am {day} vergessen, kommt die Müllabfuhr nochmal?",
			"Kann ich eine größere Restmülltonne bestellen? Wir sind jetzt fünf Personen.",
		},
		answers: []string{
			"Sperrmüll melden Sie online unter musterstadt.de/sperrmuell an; zwei Abholungen pro Jahr sind kostenlos.",
			"Wir haben die Abfuhr informiert, die Säcke werden bis {day} nachgeholt.",
			"Gelbe Säcke erhalten Sie im Bürgerbüro, in der Bibliothek und am Wertstoffhof.",
			"Der Wertstoffhof hat samstags von 8 bis 14 Uhr geöffnet.",
		}},
	{id: "verkehr", weight: 40,
		subjects: []string{"Schlagloch", "Straßenbeleuchtung", "Baustelle"},
		questions: []string{
			"In der {street} ist seit Wochen ein riesiges Schlagloch, da fällt man mit dem Fahrrad rein.",
			"Die Straßenlaterne vor Hausnummer {nr} in der {street} ist kaputt, abends stockdunkel.",
			"Wie lange dauert die Baustelle in der {street} noch?",
			"Die Ampel an der Kreuzung {street} / {place} ist ausgefallen.",
			"Der Radweg am {place} ist voller Scherben.",
			"Warum wird die {street} im Winter nie geräumt? Heute morgen Glatteis!",
			"Die Bushaltestelle {place} hat kein Dach mehr, kann das repariert werden?",
		},
		answers: []string{
			"Danke für den Hinweis, der Bauhof sieht sich die Stelle in dieser Woche an.",
			"Defekte Laternen melden Sie am schnellsten über musterstadt.de/maengelmelder, wir geben die Meldung an die Stadtwerke weiter.",
			"Die Bauarbeiten dauern nach aktueller Planung noch etwa {weeks} Wochen.",
		}},
	{id: "ordnungsamt", weight: 36,
		subjects: []string{"Ruhestörung", "Falschparker", "Gewerbeanmeldung"},
		questions: []string{
			"Jedes Wochenende laute Party beim Nachbarn in der {street}, bis 3 Uhr nachts. Wer ist zuständig?",
			"Auf dem Radweg in der {street} parken ständig Autos, wird da mal kontrolliert?",
			"Ich möchte ein Gewerbe anmelden, welche Unterlagen brauche ich?",
			"Gilt im Stadtpark Leinenpflicht für Hunde?",
			"Wir planen ein Straßenfest in der {street}, brauchen wir eine Genehmigung?",
			"Ein Auto ohne Kennzeichen steht seit {weeks} Wochen am {place}.",
		},
		answers: []string{
			"Bei akuter Ruhestörung in der Nacht rufen Sie bitte die Polizei; tagsüber erreichen Sie das Ordnungsamt unter {phone}.",
			"Wir geben den Hinweis an den Verkehrsaußendienst weiter, der die Stelle verstärkt kontrolliert.",
			"Ein Gewerbe melden Sie online unter musterstadt.de/gewerbe an, die Gebühr beträgt {euro} Euro.",
		}},
	{id: "katastrophenschutz", weight: 33,
		subjects: []string{"Hochwasser", "Sturmschaden"},
		questions: []string{
			"Das Wasser an der Mühlbach-Brücke steigt, gibt es irgendwo Sandsäcke?",
			"Ist die Mühlbach-Brücke gesperrt? Stehe mit dem Auto davor.",
			"Bei uns im Keller in der {street} steht das Wasser, wen rufe ich an?",
			"Nach dem Sturm liegt ein Baum auf der {street}.",
			"Heute gab es einen Sirenenalarm, war das eine Übung?",
		},
		answers: []string{
			"Sandsäcke gibt es am Bauhof, {street} {nr}, solange der Vorrat reicht.",
			"In Notfällen wählen Sie bitte sofort 112, die Feuerwehr ist im Einsatz.",
			"Die Brücke ist bis auf Weiteres gesperrt, bitte nutzen Sie die Umleitung über die {street}.",
		}},
	{id: "kfz", weight: 27,
		subjects: []string{"Zulassung", "Führerschein"},
		questions: []string{
			"Kann ich mein Auto online zulassen oder muss ich zur Zulassungsstelle?",
			"Wie kann ich ein Wunschkennzeichen reservieren und was kostet das?",
			"Bis wann muss ich meinen alten Führerschein umtauschen?",
			"Ich möchte mein Auto abmelden, geht das auch ohne Termin?",
		},
		answers: []string{
			"Die Zulassung geht online über musterstadt.de/ikfz, wenn Sie einen Ausweis mit Online-Funktion haben.",
			"Wunschkennzeichen reservieren Sie online für {euro} Euro, die Reservierung gilt 90 Tage.",
			"Der Umtausch richtet sich nach Ihrem Geburtsjahr; die Fristen finden Sie unter musterstadt.de/fuehrerschein.",
		}},
	{id: "presse", weight: 24,
		subjects: []string{"Anfrage", "Lob"},
		questions: []string{
			"Stimmt es, dass das Hallenbad geschlossen wird? Habe das auf Facebook gelesen.",
			"Toller Beitrag über das Stadtfest, weiter so!",
			"Warum postet die Stadt nichts zur Sperrung am {place}?",
			"Wer ist eigentlich für die Instagram-Seite der Stadt zuständig?",
		},
		answers: []string{
			"Das ist ein Gerücht: Das Hallenbad bleibt geöffnet, Informationen finden Sie auf musterstadt.de.",
			"Vielen Dank für das Lob, wir geben es gern an das Team weiter!",
		}},
	{id: "spam", weight: 20,
		subjects: []string{"Gewinn", "Angebot"},
		questions: []string{
			"Gewinnen Sie jetzt ein iPhone!!! Klicken Sie hier: bit.ly/{nr}xyz",
			"Günstige Kredite ohne Schufa, schreiben Sie mir privat",
			"Ihr Konto wurde gesperrt, bestätigen Sie Ihre Daten unter sicher-login-{nr}.example",
		},
		answers: []string{"Diese Nachricht wurde als Spam markiert."}},
	{id: "jugend", weight: 18,
		subjects: []string{"Kitaplatz", "Kita-Gebühren"},
		questions: []string{
			"Wie melde ich mein Kind für einen Kitaplatz an?",
			"Gibt es bei den Kita Gebühren eine Ermäßigung für Geschwister?",
			"Wir warten seit {weeks} Monaten auf einen Kitaplatz, was können wir tun?",
			"Hat das Jugendzentrum am {place} in den Ferien geöffnet?",
		},
		answers: []string{
			"Kitaplätze vergeben wir über das Kita-Portal unter musterstadt.de/kita.",
			"Für das zweite Kind halbiert sich der Beitrag, ab dem dritten Kind ist die Betreuung beitragsfrei.",
		}},
	{id: "soziales", weight: 16,
		subjects: []string{"Wohngeld", "Wohnberechtigungsschein"},
		questions: []string{
			"Wie lange dauert die Bearbeitung von Wohngeld gerade? Antrag seit {weeks} Wochen gestellt.",
			"Wo beantrage ich einen Wohnberechtigungsschein?",
			"Gibt es Hilfe für ältere Menschen beim Einkaufen in Musterstadt?",
		},
		answers: []string{
			"Die Bearbeitungszeit für Wohngeld liegt derzeit bei etwa {weeks} Wochen, Ihr Aktenzeichen ist {az}.",
			"Den Wohnberechtigungsschein beantragen Sie beim Sozialamt, Formulare finden Sie online.",
		}},
	{id: "finanzen", weight: 16,
		subjects: []string{"Mahnung", "Grundsteuer", "Hundesteuer"},
		questions: []string{
			"Ich habe eine Mahnung bekommen, obwohl ich die Rechnung {az} bezahlt habe.",
			"Mein Grundsteuerbescheid ist viel höher als letztes Jahr, warum?",
			"Wie melde ich meinen Hund für die Hundesteuer an und wie hoch ist sie?",
			"Meine Kontoverbindung hat sich geändert, wie ändere ich die Lastschrift?",
		},
		answers: []string{
			"Bitte senden Sie uns den Zahlungsbeleg mit dem Aktenzeichen {az}, wir prüfen die Mahnung umgehend.",
			"Die Hundesteuer beträgt {euro} Euro im Jahr, die Anmeldung erfolgt online.",
			"Ein neues SEPA-Mandat können Sie über musterstadt.de/sepa einreichen.",
		}},
	{id: "umwelt", weight: 16,
		subjects: []string{"Baum", "Spielplatz"},
		questions: []string{
			"Die große Kastanie am {place} hat einen Riss im Stamm und wirft Äste ab.",
			"Warum wurden die Linden in der Lindenallee gefällt?",
			"Auf dem Spielplatz in der {street} liegen Glasscherben im Sand.",
		},
		answers: []string{
			"Unsere Baumkontrolleure sehen sich den Baum morgen an und sperren bei Bedarf den Bereich ab.",
			"Die Bäume waren krank und nicht mehr standsicher, es werden neue gepflanzt.",
		}},
	{id: "kultur", weight: 12,
		subjects: []string{"Bibliothek", "Stadtfest"},
		questions: []string{
			"Wie bekomme ich einen Bibliotheksausweis und kann ich damit die Onleihe nutzen?",
			"Wann ist dieses Jahr das Stadtfest?",
			"Gibt es noch Plätze im VHS-Kurs Spanisch für Anfänger?",
		},
		answers: []string{
			"Den Bibliotheksausweis erhalten Sie vor Ort, die Onleihe ist im Jahresbeitrag enthalten.",
			"Das Stadtfest findet am {date} statt, das Programm steht ab Mai online.",
		}},
	{id: "schule", weight: 12,
		subjects: []string{"Einschulung", "OGS"},
		questions: []string{
			"Wann muss ich mein Kind zur Einschulung anmelden?",
			"Gibt es an der Grundschule {place} noch Plätze in der Ganztagsbetreuung?",
		},
		answers: []string{"Die Anmeldung zur Einschulung ist im November an der Grundschule Ihres Wohnbezirks."}},
	{id: "bau", weight: 12,
		subjects: []string{"Bauantrag"},
		questions: []string{
			"Brauche ich für einen Carport eine Baugenehmigung?",
			"Wo kann ich den Bebauungsplan für die {street} einsehen?",
		},
		answers: []string{"Ob ein Vorhaben genehmigungsfrei ist, klärt die Bauberatung, Termine unter {phone}."}},
	{id: "sport", weight: 10,
		subjects: []string{"Hallenbad"},
		questions: []string{
			"Was sind die Öffnungszeiten vom Hallenbad in den Ferien?",
			"Kann unser Verein die Sporthalle am {place} am Wochenende nutzen?",
		},
		answers: []string{"Das Hallenbad ist in den Ferien täglich von 9 bis 20 Uhr geöffnet."}},
	{id: "standesamt", weight: 10,
		subjects: []string{"Geburtsurkunde", "Trauung"},
		questions: []string{
			"Wie kann ich eine Geburtsurkunde bestellen?",
			"Wir möchten heiraten, wie reservieren wir einen Trautermin?",
		},
		answers: []string{"Urkunden bestellen Sie online unter musterstadt.de/urkunden, die Gebühr beträgt {euro} Euro."}},
	{id: "datenschutz", weight: 8,
		subjects: []string{"DSGVO Auskunft"},
		questions: []string{
			"Ich möchte nach DSGVO Auskunft über alle gespeicherten Daten zu meiner Person.",
			"Bitte löschen Sie meine Daten aus Ihrem Verteiler.",
		},
		answers: []string{"Ihre Anfrage haben wir an den Datenschutzbeauftragten weitergeleitet, Aktenzeichen {az}."}},
}

var (
	greetings = []string{"Hallo,", "Guten Tag,", "Moin,", "Sehr geehrte Damen und Herren,", "Hallo liebe Stadt,", "Servus,", "Grüß Gott,"}
	closings  = []string{"Danke!", "Mit freundlichen Grüßen, {name}", "LG", "Vielen Dank im Voraus.", "Gruß {name}", "Danke und schönes Wochenende"}
	fillers   = []string{
		"Ich wohne in der {street} {nr}.", "Das ist jetzt schon das dritte Mal!", "Bitte um schnelle Rückmeldung.",
		"Telefonisch erreiche ich niemanden.", "Meine Nummer: {phone}.", "Aktenzeichen {az}.",
		"Am {day} hatte ich schon angerufen.", "Das kann doch nicht so schwer sein 🙄", "Vielen Dank für Ihre Mühe 🙂",
		"Wir wohnen seit {weeks} Jahren hier.", "Seit dem {date} keine Antwort.",
	}
	followUps = []string{
		"Hallo? Gibt es schon eine Antwort?", "Nachtrag: es betrifft auch die {street}.", "Danke, hat sich erledigt!",
		"Ich habe noch eine Frage dazu: bis wann geht das?", "Anbei noch ein Foto von heute.", "Immer noch nichts passiert.",
	}
	answerTails = []string{
		"Bei Fragen erreichen Sie uns unter {phone}.", "Viele Grüße aus dem Rathaus!",
		"Weitere Informationen finden Sie auf musterstadt.de.", "Wir melden uns, sobald wir mehr wissen.",
	}
	streets = []string{
		"Bahnhofstraße", "Hauptstraße", "Lindenallee", "Schulstraße", "Gartenweg", "Mühlenweg", "Kirchplatz",
		"Goethestraße", "Schillerstraße", "Am Mühlbach", "Rosenweg", "Industriestraße", "Birkenweg",
		"Marktplatz", "Feldstraße", "Bergstraße", "Eichendorffweg", "Ringstraße", "Talstraße", "Wiesengrund",
	}
	places = []string{
		"Stadtpark", "Marktplatz", "Rathaus", "Bahnhof", "Kita Sonnenschein", "Mühlbach-Brücke", "Friedhof",
		"Sportplatz Nord", "Gymnasium", "Einkaufszentrum", "Ortsteil Oberdorf", "Hallenbad",
	}
	weekdays   = []string{"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	firstNames = []string{"Roswitha", "Matthias", "Kevin", "Aylin", "Jonas", "Sabine", "Olena", "Mehmet", "Petra", "Lukas", "Fatma", "Hans", "Lea", "Dieter", "Sophie", "Ahmad"}
	lastNames  = []string{"Berg", "Keller", "Wirth", "Yılmaz", "Schmidt", "Müller", "Kovalenko", "Demir", "Schneider", "Weber", "Hoffmann", "Becker", "Wagner", "Krüger", "Al-Hassan", "Fischer"}
)

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
