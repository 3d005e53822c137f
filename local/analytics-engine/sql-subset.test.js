import { describe, expect, it } from 'vitest';
import { analyseAnalyticsEngineSql, checkAnalyticsEngineSql } from './sql-subset.js';

describe('queries Analytics Engine accepts', () => {
  const accepted = {
    'a top-pages report':
      "SELECT blob2 AS path, SUM(_sample_interval) AS views, count(DISTINCT blob13) AS visitors FROM manhali_events WHERE index1 = 't1' AND timestamp > now() - INTERVAL '30' DAY GROUP BY path ORDER BY views DESC LIMIT 20 FORMAT JSON",
    'a time series grouped by an alias':
      "SELECT toStartOfInterval(timestamp, INTERVAL '1' HOUR) AS t, SUM(_sample_interval) AS views FROM manhali_events WHERE index1 = 't1' GROUP BY t ORDER BY t FORMAT JSON",
    'a subquery in FROM':
      "SELECT path, views FROM (SELECT blob2 AS path, SUM(_sample_interval) AS views FROM manhali_events GROUP BY path) WHERE views > 10 ORDER BY views DESC LIMIT ALL FORMAT JSON",
    'keywords inside a string literal': "SELECT count() FROM manhali_events WHERE blob2 = 'JOIN UNION CASE(' FORMAT JSON",
    'a backslash-escaped quote': "SELECT count() FROM manhali_events WHERE blob2 = 'it\\'s' AND blob3 = 'a''b'",
    'extract, parametric topK, if, weighted mean':
      "SELECT extract(DAY FROM timestamp) AS d, topK(10)(blob1) AS top, if(d > 1, 1, 0) AS f, SUM(double1 * _sample_interval) / SUM(_sample_interval) AS mean FROM manhali_events GROUP BY d, f",
    'mixed-case function names': "SELECT COUNT(), Sum(double1), LOWER(blob1) AS l FROM manhali_events GROUP BY l",
    'LIMIT with OFFSET and a trailing semicolon': 'SELECT blob1 FROM manhali_events LIMIT 10 OFFSET 20;',
    'quoted identifiers': 'SELECT `blob1` AS "path" FROM `manhali_events` GROUP BY "path"',
    'IN with a subquery': "SELECT count() FROM manhali_events WHERE blob1 IN (SELECT blob1 FROM manhali_events WHERE index1 = 'x')",
    'SHOW TABLES': 'SHOW TABLES',
    'a comment hiding a keyword': 'SELECT count() /* JOIN */ FROM manhali_events -- UNION\n',
  };
  for (const [what, sql] of Object.entries(accepted)) {
    it(`accepts ${what}`, () => expect(checkAnalyticsEngineSql(sql)).toBeNull());
  }

  it('reports the requested output format and defaults to JSON', () => {
    expect(analyseAnalyticsEngineSql('SELECT 1 FORMAT JSONEachRow')).toMatchObject({ format: 'JSONEachRow', explicitFormat: true });
    expect(analyseAnalyticsEngineSql('SELECT format(\'{}\', blob1) AS f FROM manhali_events')).toMatchObject({ format: 'JSON', explicitFormat: false });
  });

  it('executes the checked text with comments blanked and the trailing semicolon dropped', () => {
    const result = analyseAnalyticsEngineSql("SELECT 1 /* x */ FROM manhali_events WHERE blob1 = '--not a comment' -- bye\n;");
    expect(result).toMatchObject({ sql: "SELECT 1   FROM manhali_events WHERE blob1 = '--not a comment'  \n" });
  });
});

describe('queries Analytics Engine rejects', () => {
  const rejected = {
    JOIN: ['SELECT * FROM manhali_events JOIN other ON 1 = 1', /JOIN/],
    'ARRAY JOIN': ['SELECT * FROM manhali_events ARRAY JOIN x', /JOIN/],
    UNION: ['SELECT 1 FROM a UNION ALL SELECT 2 FROM b', /UNION/],
    WITH: ['WITH 1 AS x SELECT x FROM manhali_events', /WITH/],
    'WITH TOTALS': ['SELECT blob1, count() FROM manhali_events GROUP BY blob1 WITH TOTALS', /WITH/],
    CASE: ['SELECT CASE WHEN double1 > 1 THEN 1 ELSE 0 END FROM manhali_events', /CASE/],
    CONCAT: ["SELECT concat(blob1, '/') FROM manhali_events", /CONCAT/],
    COALESCE: ["SELECT COALESCE(blob1, 'x') FROM manhali_events", /COALESCE/],
    '|| concatenation': ["SELECT blob1 || 'x' FROM manhali_events", /concatenation/],
    'GROUP BY a function call': ['SELECT count() FROM manhali_events GROUP BY toStartOfHour(timestamp)', /GROUP BY/],
    'GROUP BY an operator expression': ['SELECT count() FROM manhali_events GROUP BY double1 + 1', /GROUP BY/],
    'GROUP BY a position': ['SELECT blob1, count() FROM manhali_events GROUP BY 1', /GROUP BY/],
    arrayJoin: ['SELECT arrayJoin([1, 2]) FROM manhali_events', /function arrayJoin/],
    'file()': ["SELECT * FROM file('/etc/passwd')", /function file/],
    'url()': ["SELECT * FROM url('http://example.com', CSV)", /function url/],
    'sleep()': ['SELECT sleep(3) FROM manhali_events', /function sleep/],
    'a backquoted unknown function': ['SELECT `sleep`(3) FROM manhali_events', /function sleep/],
    'uniq (not in the list)': ['SELECT uniq(blob1) FROM manhali_events', /function uniq/],
    'two statements': ['SELECT 1 FROM manhali_events; SELECT 2 FROM manhali_events', /one statement/],
    INSERT: ['INSERT INTO manhali_events (blob1) VALUES (1)', /INSERT/],
    DROP: ['DROP TABLE manhali_events', /DROP/],
    ALTER: ['ALTER TABLE manhali_events DELETE WHERE 1', /ALTER/],
    SETTINGS: ['SELECT count() FROM manhali_events SETTINGS max_threads = 1', /SETTINGS/],
    'INTO OUTFILE': ["SELECT * FROM manhali_events INTO OUTFILE '/tmp/x'", /OUTFILE/],
    'a qualified table': ['SELECT * FROM system.tables', /qualified/],
    'two tables in FROM': ['SELECT * FROM a, b', /single dataset/],
    'a table function-like FROM': ['SELECT * FROM numbers(10)', /function numbers/],
    'an unsupported FORMAT': ['SELECT 1 FROM manhali_events FORMAT Native', /FORMAT Native/],
    'LIMIT BY': ['SELECT blob1 FROM manhali_events LIMIT 1 BY blob1', /LIMIT/],
    'an unterminated string': ["SELECT 'abc FROM manhali_events", /unterminated/],
    'a heredoc': ['SELECT $$x$$ FROM manhali_events', /unexpected character/],
    'SHOW something else': ['SHOW DATABASES', /SHOW TABLES/],
    'an empty body': ['  -- nothing\n', /empty/],
  };
  for (const [what, [sql, reason]] of Object.entries(rejected)) {
    it(`rejects ${what}`, () => expect(checkAnalyticsEngineSql(/** @type {string} */ (sql))).toMatch(reason));
  }

  it('still rejects JOIN next to a literal that merely looks like it closes', () => {
    expect(checkAnalyticsEngineSql("SELECT * FROM manhali_events WHERE blob1 = 'x\\' JOIN y' JOIN z ON 1")).toMatch(/JOIN/);
  });
});
