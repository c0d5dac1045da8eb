import { test } from "node:test";
import assert from "node:assert/strict";
import { count, graphemes, limitFor } from "./count";

test("graphemes counts emoji sequences once", () => {
  const cases: [string, number][] = [
    ["", 0],
    ["Hallo", 5],
    ["Straße", 6],
    ["👍", 1],
    ["👩‍👩‍👧‍👦", 1], // ZWJ family
    ["🇩🇪", 1], // flag: two regional indicators
    ["👍🏽", 1], // skin tone modifier
    ["e\u0301", 1], // combining accent
  ];
  for (const [s, want] of cases) assert.equal(graphemes(s), want, JSON.stringify(s));
});

test("mastodon counts a URL as 23 and a remote mention by its user part", () => {
  const l = limitFor("mastodon", "comment");
  assert.equal(l.max, 500);
  const url = "https://musterstadt.de/buergerservice/termine/personalausweis-beantragen";
  assert.equal(count(`Siehe ${url}`, l).used, 6 + 23);
  assert.equal(count(`Siehe ${url} und ${url}.`, l).used, 6 + 23 + 5 + 23 + 1);
  assert.equal(count("@anna@social.example danke", l).used, "@anna danke".length);
  const long = "a".repeat(478) + " " + url; // 478 + 1 + 23 = 502
  assert.equal(count(long, l).over, true);
  assert.equal(count("a".repeat(476) + " " + url, l).over, false);
});

test("x weighs CJK and emoji double and URLs 23", () => {
  const l = limitFor("x", "comment");
  assert.equal(l.max, 280);
  assert.equal(count("Hallo", l).used, 5);
  assert.equal(count("日本", l).used, 4);
  assert.equal(count("👍", l).used, 2);
  assert.equal(count("👩‍👩‍👧‍👦", l).used, 2);
  assert.equal(count("Info: https://example.org/a/very/long/path", l).used, 6 + 23);
  assert.equal(count("ä".repeat(280), l).over, false);
  assert.equal(count("👍".repeat(141), l).over, true);
});

test("bluesky counts graphemes up to 300, URLs as written", () => {
  const l = limitFor("bluesky", "dm");
  assert.equal(l.max, 300);
  assert.equal(count("👩‍👩‍👧‍👦".repeat(300), l).over, false);
  assert.equal(count("👩‍👩‍👧‍👦".repeat(301), l).over, true);
  assert.equal(count("https://a.de", l).used, 12);
});

test("table and capabilities", () => {
  assert.equal(limitFor("telegram", "dm").max, 4096);
  assert.equal(limitFor("whatsapp", "dm").max, 4096);
  assert.equal(limitFor("facebook", "dm").max, 2000);
  assert.equal(limitFor("facebook", "comment").max, 8000);
  assert.equal(limitFor("instagram", "comment").max, 8000);
  assert.equal(limitFor("email", "mail").max, 0);
  assert.equal(count("x".repeat(100000), limitFor("email", "mail")).over, false);
  assert.equal(limitFor("unknown", "comment").max, 0);
  const caps = { max_reply_length: 100, url_length: 10, public_replies: true, direct_messages: true };
  const l = limitFor("mastodon", "comment", caps);
  assert.equal(l.max, 100);
  assert.equal(count("https://example.org/x", l).used, 10);
});

test("line breaks: CR LF is one grapheme", () => {
  assert.equal(graphemes("a\r\nb"), 3);
  assert.equal(graphemes("ä\r\n👍"), 3);
});
