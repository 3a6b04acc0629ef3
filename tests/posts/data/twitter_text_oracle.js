// What the official twitter-text v3 says about each text: see twitter_text_cases.py.
const fs = require("fs");
const tt = require("twitter-text");
const texts = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const cases = texts.map((t) => [
  t,
  tt.parseTweet(t).weightedLength,
  tt.extractUrlsWithIndices(t).map((u) => t.slice(u.indices[0], u.indices[1])),
]);
const source =
  "twitter-text 3.1.0 (npm): parseTweet(text).weightedLength and the extractUrlsWithIndices " +
  "URLs, by tests/posts/data/twitter_text_oracle.js on the texts of twitter_text_cases.py";
fs.writeFileSync(process.argv[3], JSON.stringify({ source, cases }));
