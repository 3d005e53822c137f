// The Analytics Engine SQL subset, checked before a query reaches ClickHouse.
//
// AE's SQL API speaks a restricted ClickHouse dialect: one SELECT (or SHOW
// TABLES) over one dataset or a subquery, no JOIN/UNION/WITH/CASE/CONCAT/
// COALESCE, GROUP BY on names only, and a fixed list of functions. chDB would
// happily run far more, so without this check a report could work locally and
// fail in production. Unknown constructs are rejected: failing here first is
// the point.
//
// The check works on tokens, never on raw text, so keywords inside string
// literals ('JOIN UNION CASE(') are data and keywords outside them are caught.
// The text that is executed is rebuilt from the same tokens (comments become
// a space), so ClickHouse runs exactly what was checked.

import { DATASET_NAME } from './data-point.js';

// Function names from AE's documentation (facts.md), lower-cased: ClickHouse
// matches several of them case-insensitively; for the case-sensitive ones a
// wrong spelling still fails later, in ClickHouse itself.
const FUNCTIONS = new Set(
  [
    // aggregate
    'count', 'sum', 'avg', 'min', 'max', 'quantileExactWeighted', 'quantileWeighted',
    'argMax', 'argMin', 'first_value', 'last_value', 'topK', 'topKWeighted',
    'countIf', 'sumIf', 'avgIf',
    // date and time
    'now', 'today', 'toDateTime', 'toUnixTimestamp', 'formatDateTime', 'toStartOfInterval',
    'toYear', 'toMonth', 'toDayOfMonth', 'toDayOfWeek', 'toHour', 'toMinute', 'toSecond',
    'toStartOfYear', 'toStartOfMonth', 'toStartOfWeek', 'toStartOfDay', 'toStartOfHour',
    'toStartOfFifteenMinutes', 'toStartOfTenMinutes', 'toStartOfFiveMinutes',
    'toStartOfMinute', 'toYYYYMM', 'extract',
    // string
    'length', 'empty', 'lower', 'lowerUTF8', 'upper', 'upperUTF8', 'startsWith', 'endsWith',
    'position', 'substring', 'format',
    // conditional, math, conversion, encoding, bits
    'if', 'intDiv', 'log', 'ln', 'pow', 'round', 'floor', 'ceil', 'toUInt8', 'toUInt32',
    'bin', 'hex', 'bitAnd', 'bitOr', 'bitXor', 'bitNot', 'bitShiftLeft', 'bitShiftRight',
  ].map((f) => f.toLowerCase()),
);

/** Keywords that are never valid in an AE query, with the reason given back. */
const FORBIDDEN = new Map([
  ['JOIN', 'JOIN is not supported by Analytics Engine'],
  ['UNION', 'UNION is not supported by Analytics Engine'],
  ['INTERSECT', 'INTERSECT is not supported by Analytics Engine'],
  ['EXCEPT', 'EXCEPT is not supported by Analytics Engine'],
  ['WITH', 'WITH (CTEs, WITH TOTALS/ROLLUP/FILL) is not supported by Analytics Engine'],
  ['CASE', 'CASE is not supported by Analytics Engine; use if()'],
  ['INTO', 'INTO OUTFILE is not supported by Analytics Engine'],
  ['OUTFILE', 'INTO OUTFILE is not supported by Analytics Engine'],
  ['SETTINGS', 'SETTINGS is not supported by Analytics Engine'],
  ['PREWHERE', 'PREWHERE is not supported by Analytics Engine'],
  ['QUALIFY', 'QUALIFY is not supported by Analytics Engine'],
  ['WINDOW', 'window functions are not supported by Analytics Engine'],
  ['OVER', 'window functions are not supported by Analytics Engine'],
  ['ARRAY', 'ARRAY JOIN is not supported by Analytics Engine'],
  ['FINAL', 'FINAL is not supported by Analytics Engine'],
  ['SAMPLE', 'SAMPLE is not supported by Analytics Engine'],
  ['GLOBAL', 'GLOBAL is not supported by Analytics Engine'],
  ...['INSERT', 'DROP', 'ALTER', 'CREATE', 'DELETE', 'UPDATE', 'TRUNCATE', 'RENAME',
    'ATTACH', 'DETACH', 'OPTIMIZE', 'GRANT', 'REVOKE', 'KILL'].map(
    (k) => /** @type {[string, string]} */ ([k, `${k} is not allowed: the SQL API is read-only`]),
  ),
]);

// Keywords that may stand right before "(" without being a function call.
const KEYWORDS_BEFORE_PAREN = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'BY', 'HAVING', 'DISTINCT', 'LIKE',
  'ILIKE', 'BETWEEN', 'IS', 'INTERVAL', 'LIMIT', 'OFFSET', 'ALL', 'AS', 'ASC', 'DESC', 'ON',
]);

// Words that start a clause of a SELECT (at its own nesting level).
const CLAUSES = new Set(['SELECT', 'FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET']);

// Output formats we answer. AE's documented one is JSON.
export const FORMATS = new Map([
  ['JSON', 'application/json'],
  ['JSONEachRow', 'application/x-ndjson'],
  ['TabSeparated', 'text/tab-separated-values'],
  ['TSV', 'text/tab-separated-values'],
]);

// Two- and one-character operators, longest first.
const OPERATORS = ['!=', '<>', '<=', '>=', '==', '||', '::', '->',
  '(', ')', '[', ']', ',', '.', '*', '+', '-', '/', '%', '=', '<', '>', ';'];

/**
 * @typedef {'ws'|'comment'|'string'|'qident'|'ident'|'number'|'op'} TokenType
 * @typedef {{type: TokenType, text: string, start: number, word: string}} Token
 *   `word` is the upper-cased text for `ident`, the unquoted name for `qident`.
 */

/**
 * @typedef {object} AnalysedSql
 * @property {'select'|'show'} statement
 * @property {string} format output format: the query's FORMAT or JSON
 * @property {boolean} explicitFormat whether the query carried FORMAT itself
 * @property {string} sql the text to execute (comments blanked, trailing ';' dropped)
 */

class Rejected extends Error {}

/**
 * Checks one query against the AE SQL subset.
 * @param {string} sql
 * @returns {null | string} null when the query is acceptable, else the reason
 */
export function checkAnalyticsEngineSql(sql) {
  const result = analyseAnalyticsEngineSql(sql);
  return 'reason' in result ? result.reason : null;
}

/**
 * Like {@link checkAnalyticsEngineSql}, but on success also says what to run
 * and in which format.
 * @param {string} sql
 * @returns {AnalysedSql | {reason: string}}
 */
export function analyseAnalyticsEngineSql(sql) {
  try {
    return analyse(sql);
  } catch (e) {
    if (e instanceof Rejected) return { reason: e.message };
    throw e;
  }
}

/** @param {string} sql @returns {AnalysedSql} */
function analyse(sql) {
  const all = tokenize(sql);
  let tokens = all.filter((t) => t.type !== 'ws' && t.type !== 'comment');

  // One statement; a single trailing ';' is tolerated.
  const semicolon = tokens.findIndex((t) => t.text === ';');
  if (semicolon !== -1 && semicolon !== tokens.length - 1) {
    throw new Rejected('only one statement is allowed');
  }
  const end = semicolon === -1 ? sql.length : tokens[semicolon].start;
  if (semicolon !== -1) tokens = tokens.slice(0, -1);
  if (tokens.length === 0) throw new Rejected('empty query');

  checkTokens(tokens);
  const match = matchBrackets(tokens);

  // FORMAT clause: the word FORMAT at the top level, not the format() function.
  let format = 'JSON';
  let explicitFormat = false;
  let body = tokens.length;
  const depth0 = depths(tokens, match);
  const at = tokens.findIndex(
    (t, i) => depth0[i] === 0 && isWord(t, 'FORMAT') && tokens[i + 1]?.text !== '(',
  );
  if (at !== -1) {
    const name = tokens[at + 1];
    if (!name || name.type !== 'ident' || at + 2 !== tokens.length) {
      throw new Rejected('FORMAT must be followed by one format name at the end of the query');
    }
    if (!FORMATS.has(name.text)) {
      throw new Rejected(`FORMAT ${name.text} is not supported; use JSON`);
    }
    format = name.text;
    explicitFormat = true;
    body = at;
  }

  const first = tokens[0];
  let statement;
  if (isWord(first, 'SHOW')) {
    if (body !== 2 || !isWord(tokens[1], 'TABLES')) {
      throw new Rejected('only SHOW TABLES is supported');
    }
    statement = /** @type {const} */ ('show');
  } else if (isWord(first, 'SELECT')) {
    checkSelect(tokens, match, 0, body);
    statement = /** @type {const} */ ('select');
  } else {
    throw new Rejected(`only SELECT and SHOW TABLES statements are allowed, got ${first.text}`);
  }

  // What ClickHouse runs is what was checked: comments are blanked out rather
  // than left for ClickHouse's lexer to interpret.
  const executable = all
    .filter((t) => t.start < end)
    .map((t) => (t.type === 'comment' ? ' ' : t.text))
    .join('');
  return { statement, format, explicitFormat, sql: executable };
}

/**
 * Rules that hold for every token wherever it stands.
 * @param {Token[]} tokens
 */
function checkTokens(tokens) {
  tokens.forEach((t, i) => {
    if (t.type === 'ident' && FORBIDDEN.has(t.word)) throw new Rejected(FORBIDDEN.get(t.word));
    if (t.text === '||') throw new Rejected('string concatenation (||, CONCAT) is not supported by Analytics Engine');
    if (t.text === '::') throw new Rejected('casts with :: are not supported by Analytics Engine');
    if (t.text === '->') throw new Rejected('lambda expressions are not supported by Analytics Engine');
    // AE has one table per query, so a qualified name can only be a way out
    // of the dataset (e.g. into system tables): refuse them all.
    if (t.text === '.') throw new Rejected('qualified names (a.b) are not supported');
    const calls = tokens[i + 1]?.text === '(' &&
      (t.type === 'qident' || (t.type === 'ident' && !KEYWORDS_BEFORE_PAREN.has(t.word)));
    if (calls) {
      const name = t.type === 'qident' ? t.word : t.text;
      if (!FUNCTIONS.has(name.toLowerCase())) {
        const known = name.toUpperCase();
        throw new Rejected(
          known === 'CONCAT' || known === 'COALESCE'
            ? `${known} is not supported by Analytics Engine`
            : `function ${name} is not supported by Analytics Engine`,
        );
      }
    }
  });
}

/**
 * Checks the clauses of one SELECT spanning tokens[lo, hi) and every
 * subquery inside it.
 * @param {Token[]} tokens
 * @param {number[]} match index of the matching bracket for each bracket
 * @param {number} lo
 * @param {number} hi
 */
function checkSelect(tokens, match, lo, hi) {
  /** @type {{word: string, from: number, to: number}[]} */
  const clauses = [];
  for (let i = lo; i < hi; i++) {
    const t = tokens[i];
    if (t.text === '(' || t.text === '[') {
      checkNested(tokens, match, i + 1, match[i]);
      i = match[i];
    } else if (t.type === 'ident' && CLAUSES.has(t.word)) {
      if (clauses.length) clauses[clauses.length - 1].to = i;
      clauses.push({ word: t.word, from: i + 1, to: hi });
    }
  }
  if (clauses.filter((c) => c.word === 'SELECT').length > 1) {
    throw new Rejected('one SELECT per query level; combine results without UNION');
  }
  for (const clause of clauses) {
    const items = tokens.slice(clause.from, clause.to);
    if (clause.word === 'FROM') checkFrom(tokens, match, clause.from, clause.to);
    if (clause.word === 'GROUP') checkGroupBy(items);
    if (clause.word === 'LIMIT') checkLimit(items);
  }
}

/**
 * Inside brackets that are not a FROM subquery: a SELECT here is checked as
 * a query of its own (e.g. `IN (SELECT …)`), anything else is scanned for one.
 * @param {Token[]} tokens @param {number[]} match @param {number} lo @param {number} hi
 */
function checkNested(tokens, match, lo, hi) {
  if (lo < hi && isWord(tokens[lo], 'SELECT')) return checkSelect(tokens, match, lo, hi);
  for (let i = lo; i < hi; i++) {
    if (tokens[i].text === '(' || tokens[i].text === '[') {
      checkNested(tokens, match, i + 1, match[i]);
      i = match[i];
    }
  }
}

/**
 * FROM names exactly one dataset or one parenthesised subquery, optionally
 * aliased. Table functions, qualified names and comma joins are refused.
 * @param {Token[]} tokens @param {number[]} match @param {number} lo @param {number} hi
 */
function checkFrom(tokens, match, lo, hi) {
  const source = tokens[lo];
  let next;
  if (source?.text === '(' && isWord(tokens[lo + 1], 'SELECT')) {
    next = match[lo] + 1; // the subquery itself was checked by checkSelect's scan
  } else if (
    (source?.type === 'ident' || source?.type === 'qident') &&
    DATASET_NAME.test(source.type === 'qident' ? source.word : source.text)
  ) {
    next = lo + 1;
  } else {
    throw new Rejected('FROM must name a dataset or a (SELECT …) subquery');
  }
  if (isWord(tokens[next], 'AS')) next++;
  if (next < hi && (tokens[next].type === 'ident' || tokens[next].type === 'qident')) next++;
  if (next !== hi) {
    throw new Rejected('FROM takes a single dataset or subquery (no joins, no table lists)');
  }
}

/**
 * AE groups by column names or SELECT aliases only, not expressions.
 * @param {Token[]} items tokens after GROUP
 */
function checkGroupBy(items) {
  if (!isWord(items[0], 'BY')) throw new Rejected('GROUP must be followed by BY');
  const list = items.slice(1);
  const names = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    const isName = name && (name.type === 'qident' ||
      (name.type === 'ident' && !KEYWORDS_BEFORE_PAREN.has(name.word)));
    const separated = i + 1 >= list.length || list[i + 1].text === ',';
    if (!isName || !separated) {
      throw new Rejected(
        'GROUP BY takes column names or SELECT aliases, not expressions; alias the expression in SELECT and group by the alias',
      );
    }
    names.push(name.text);
  }
  if (names.length === 0) throw new Rejected('GROUP BY needs at least one column');
}

/**
 * `LIMIT n` or `LIMIT ALL`; ClickHouse's `LIMIT n BY …` and `LIMIT m, n` are
 * not in AE's grammar.
 * @param {Token[]} items tokens after LIMIT
 */
function checkLimit(items) {
  const ok = items.length === 1 && (items[0].type === 'number' || isWord(items[0], 'ALL'));
  if (!ok) throw new Rejected('LIMIT takes a single number or ALL (use OFFSET n to skip rows)');
}

/** @param {Token[]} tokens @returns {number[]} */
function matchBrackets(tokens) {
  /** @type {number[]} */
  const match = new Array(tokens.length).fill(-1);
  /** @type {number[]} */
  const open = [];
  tokens.forEach((t, i) => {
    if (t.text === '(' || t.text === '[') open.push(i);
    else if (t.text === ')' || t.text === ']') {
      const j = open.pop();
      if (j === undefined || (tokens[j].text === '(') !== (t.text === ')')) {
        throw new Rejected('unbalanced brackets');
      }
      match[i] = j;
      match[j] = i;
    }
  });
  if (open.length) throw new Rejected('unbalanced brackets');
  return match;
}

/** @param {Token[]} tokens @param {number[]} match @returns {number[]} bracket depth per token */
function depths(tokens, match) {
  let d = 0;
  return tokens.map((t, i) => {
    if (t.text === ')' || t.text === ']') d--;
    const here = d;
    if ((t.text === '(' || t.text === '[') && match[i] !== -1) d++;
    return here;
  });
}

/** @param {Token | undefined} t @param {string} word */
function isWord(t, word) {
  return t?.type === 'ident' && t.word === word;
}

/**
 * Splits SQL into tokens, keeping whitespace and comments so the text can be
 * rebuilt. Anything ClickHouse could read differently from us (heredocs `$$`,
 * `#` comments, query parameters `{x:T}`) is refused as an unexpected character.
 * @param {string} sql
 * @returns {Token[]}
 */
export function tokenize(sql) {
  /** @type {Token[]} */
  const tokens = [];
  let i = 0;
  /** @param {TokenType} type @param {number} end @param {string} [word] */
  const push = (type, end, word = '') => {
    tokens.push({ type, text: sql.slice(i, end), start: i, word });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const rest = sql.slice(i, i + 2);
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j])) j++;
      push('ws', j);
    } else if (rest === '--') {
      const j = sql.indexOf('\n', i);
      push('comment', j === -1 ? sql.length : j);
    } else if (rest === '/*') {
      const j = sql.indexOf('*/', i + 2);
      if (j === -1) throw new Rejected('unterminated comment');
      push('comment', j + 2);
    } else if (c === "'") {
      const j = quotedEnd(sql, i, "'");
      push('string', j);
    } else if (c === '`' || c === '"') {
      const j = quotedEnd(sql, i, c);
      push('qident', j, unquote(sql.slice(i + 1, j - 1), c));
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j])) j++;
      push('ident', j, sql.slice(i, j).toUpperCase());
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:0[xX][0-9a-fA-F]+|0[bB][01]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(
        sql.slice(i, i + 400),
      );
      push('number', i + (m ? m[0].length : 1));
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (!op) throw new Rejected(`unexpected character ${JSON.stringify(c)} at position ${i}`);
      push('op', i + op.length);
    }
  }
  return tokens;
}

/**
 * End (exclusive) of a quoted token: backslash escapes the next character and
 * a doubled quote stands for itself, as in ClickHouse.
 * @param {string} sql @param {number} start @param {string} quote
 */
function quotedEnd(sql, start, quote) {
  let j = start + 1;
  while (j < sql.length) {
    if (sql[j] === '\\') j += 2;
    else if (sql[j] === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else j++;
  }
  throw new Rejected(quote === "'" ? 'unterminated string literal' : 'unterminated quoted identifier');
}

/** @param {string} inner @param {string} quote */
function unquote(inner, quote) {
  return inner.replace(/\\(.)/gs, '$1').split(quote + quote).join(quote);
}
