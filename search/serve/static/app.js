// mlsearch's search page: plain DOM, no framework, nothing fetched from anywhere but
// mlsearch's own server. Article text (titles, bodies, urls, sources, snippets) is only
// ever put into the page as text nodes (textContent, append of strings): never as markup.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const LIMIT = 10;
  // What the URL's query string holds: the whole state of the page (back/forward, sharing).
  const KEYS = ["q", "lang", "source", "date", "sort", "match", "cross", "all", "page", "article", "saved"];
  const DEFAULTS = { sort: "relevance", match: "ranked", page: "1" };

  let state = {};
  let token = sessionStorage.getItem("mlsearch-token") || "";
  let lastResults = null;
  let searchSeq = 0;

  // ---------------------------------------------------------------- state and the URL

  function readState() {
    const params = new URLSearchParams(location.search);
    const s = {};
    for (const key of KEYS) {
      const v = params.get(key);
      if (v !== null && v !== "" && v !== DEFAULTS[key]) s[key] = v;
    }
    return s;
  }

  function urlFor(s) {
    const params = new URLSearchParams();
    for (const key of KEYS) {
      const v = s[key];
      if (v !== undefined && v !== null && v !== "" && v !== DEFAULTS[key]) params.set(key, v);
    }
    const qs = params.toString();
    return location.pathname + (qs ? "?" + qs : "");
  }

  function clean(s) {
    const out = {};
    for (const key of KEYS) {
      const v = s[key];
      if (v !== undefined && v !== null && v !== "" && v !== false && v !== DEFAULTS[key]) {
        out[key] = String(v);
      }
    }
    return out;
  }

  // A new search state: filters or query changed, so back to page 1 and no article open.
  function searchState(changes) {
    const s = Object.assign({}, state, { page: undefined, article: undefined, saved: undefined }, changes);
    return clean(s);
  }

  function go(next, { replace = false } = {}) {
    const before = state;
    state = clean(next);
    const url = urlFor(state);
    if (replace) history.replaceState({ mlsearch: true }, "", url);
    else history.pushState({ mlsearch: true }, "", url);
    render(before);
  }

  // A link that works as a link (new tab, copy address) and as an in-page action.
  function stateLink(next, text, className) {
    const a = document.createElement("a");
    a.href = urlFor(clean(next));
    if (className) a.className = className;
    a.append(text);
    a.addEventListener("click", (ev) => {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault();
      go(next);
    });
    return a;
  }

  // ---------------------------------------------------------------- the server

  class ApiError extends Error {
    constructor(status, message, hint) {
      super(message);
      this.status = status;
      this.hint = hint || "";
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (err) {
      throw new ApiError(0, "the mlsearch server does not answer", "is `mlsearch serve` still running?");
    }
    let data = null;
    try {
      data = await res.json();
    } catch (err) {
      data = null;
    }
    if (res.status === 401 || res.status === 403) {
      $("token-box").hidden = false;
      $("token").focus();
    }
    if (!res.ok) {
      const message = (data && data.error) || res.status + " " + res.statusText;
      throw new ApiError(res.status, message, data && data.hint);
    }
    return data;
  }

  function articlePath(id, suffix = "") {
    return "/api/articles/" + id.split("/").map(encodeURIComponent).join("/") + suffix;
  }

  function similarPath(id) {
    return "/api/similar/" + id.split("/").map(encodeURIComponent).join("/");
  }

  function searchParams(s, changes = {}) {
    const p = new URLSearchParams();
    const v = Object.assign({}, s, changes);
    p.set("q", v.source ? withSource(v.q || "", v.source) : v.q || "");
    if (v.lang) p.set("lang", v.lang);
    if (v.date) p.set("date", v.date);
    if (v.sort) p.set("sort", v.sort);
    if (v.match) p.set("match", v.match);
    if (v.cross) p.set("cross", "true");
    if (v.all) p.set("all", "true");
    p.set("page", v.page || "1");
    p.set("limit", String(v.limit || LIMIT));
    return p;
  }

  // The source filter, as the query syntax has it: source:WORD for each word of the name
  // (the index keeps a source as its lowercased words). Words with punctuation cannot be
  // typed as a term and are left out: the filter then keeps a few more, never fewer.
  function withSource(q, source) {
    const words = source.toLowerCase().split(/\s+/).filter((w) => /^[\p{L}\p{N}]+$/u.test(w));
    if (!words.length) return q;
    return "(" + q + ") " + words.map((w) => "source:" + w).join(" ");
  }

  // ---------------------------------------------------------------- text, safely

  // Control characters (an ANSI escape's ESC, bidi overrides) are shown, not obeyed: as
  // the terminal output does, \x1b instead of the character itself.
  const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

  function visible(text) {
    return text.replace(CONTROL, (c) => {
      const code = c.codePointAt(0);
      return code <= 0xff
        ? "\\x" + code.toString(16).padStart(2, "0")
        : "\\u" + code.toString(16).padStart(4, "0");
    });
  }

  // Highlight spans are offsets in code points (Python's str); JavaScript strings count
  // UTF-16 units, which differ after any character outside the BMP (𠮷, emoji).
  function unitOffsets(text) {
    const units = [0];
    let u = 0;
    for (const ch of text) {
      u += ch.length;
      units.push(u);
    }
    return units;
  }

  // `text` with `spans` marked: text nodes and <mark> elements, never markup.
  function highlighted(text, spans) {
    const frag = document.createDocumentFragment();
    text = text || "";
    const units = unitOffsets(text);
    const last = units.length - 1;
    const at = (i) => units[Math.max(0, Math.min(last, Number(i) || 0))];
    const sorted = (spans || []).filter((s) => Array.isArray(s) && s.length >= 2).slice()
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let pos = 0;
    for (const [start, end] of sorted) {
      const s = Math.max(at(start), pos);
      const e = at(end);
      if (e <= s) continue;
      if (s > pos) frag.append(visible(text.slice(pos, s)));
      const mark = document.createElement("mark");
      mark.textContent = visible(text.slice(s, e));
      frag.append(mark);
      pos = e;
    }
    if (pos < text.length) frag.append(visible(text.slice(pos)));
    return frag;
  }

  // Only http and https urls become links; anything else (javascript:, data:) is text.
  function safeUrl(value) {
    if (typeof value !== "string") return null;
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = visible(String(text));
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.firstChild.remove();
  }

  function plural(n, one, many) {
    return n === 1 ? "1 " + one : n.toLocaleString("en") + " " + (many || one + "s");
  }

  // ---------------------------------------------------------------- one hit

  function metaLine(item) {
    const meta = el("p", "meta");
    const parts = [];
    if (item.date) parts.push(el("time", null, item.date));
    if (item.langs && item.langs.length) parts.push(el("span", "langs", item.langs.join(",")));
    if (item.source) parts.push(el("span", "source", item.source));
    if (item.url) {
      const href = safeUrl(item.url);
      if (href) {
        const a = el("a", "url", item.url);
        a.href = href;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        parts.push(a);
      } else {
        parts.push(el("span", "url unsafe", item.url));
      }
    }
    parts.push(el("span", "id", item.id));
    parts.forEach((p, i) => {
      if (i) meta.append(" · ");
      meta.append(p);
    });
    return meta;
  }

  function hitElement(hit, { compact = false } = {}) {
    const li = el("li", "hit");
    li.dataset.id = hit.id;
    const h = el("h3", "title");
    const a = stateLink(Object.assign({}, state, { article: hit.id }), "", "open");
    a.dataset.id = hit.id;
    a.append(highlighted(hit.title || hit.id, hit.title_highlights || []));
    h.append(a);
    if (hit.new === true) h.append(" ", el("span", "badge new", "new"));
    li.append(h, metaLine(hit));
    if (hit.snippet) {
      const p = el("p", "snippet");
      p.append(highlighted(hit.snippet, hit.highlights || []));
      li.append(p);
    }
    if (!compact && hit.missing && hit.missing.length) li.append(missingLine(hit.missing));
    if (!compact && hit.similar > 0) li.append(similarToggle(hit));
    return li;
  }

  // As web search engines do: "Missing: word", and a link that requires it.
  function missingLine(missing) {
    const p = el("p", "missing");
    p.append("Missing: ");
    missing.forEach((word, i) => {
      if (i) p.append(" ");
      p.append(el("s", null, word));
    });
    p.append(" · Must include: ");
    missing.forEach((word, i) => {
      if (i) p.append(", ");
      p.append(stateLink(searchState({ q: "+" + word + " " + (state.q || "") }), visible(word)));
    });
    return p;
  }

  function similarToggle(hit) {
    const wrap = el("div", "copies");
    const button = el("button", "similar", "+" + hit.similar + " similar");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    const list = el("ul", "copy-list");
    list.hidden = true;
    button.addEventListener("click", async () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      list.hidden = !open;
      if (!open || list.dataset.loaded) return;
      list.dataset.loaded = "1";
      for (const id of hit.similar_ids || []) {
        const li = el("li", "copy");
        const link = stateLink(Object.assign({}, state, { article: id }), visible(id), "open");
        link.dataset.id = id;
        li.append(link);
        list.append(li);
        api(articlePath(id)).then((art) => {
          clear(link);
          link.append(visible(art.title || id));
          const meta = metaLine(art);
          meta.classList.add("small");
          li.append(meta);
        }).catch(() => {});
      }
    });
    wrap.append(button, list);
    return wrap;
  }

  // ---------------------------------------------------------------- the results page

  function setSummary(text) {
    $("summary").textContent = text;
  }

  function messagesFor(res) {
    const box = $("messages");
    for (const old of box.querySelectorAll(".msg")) old.remove();
    const add = (node) => {
      node.classList.add("msg");
      box.append(node);
    };
    for (const note of res.notes || []) add(el("p", "note", "note: " + note));
    if (res.suggestion) {
      const p = el("p", "suggestion");
      p.append("Did you mean: ");
      const link = stateLink(searchState({ q: res.suggestion }), visible(res.suggestion), "suggest");
      p.append(link, "?");
      add(p);
    }
    if (res.cross_hint) {
      // The server words it for the command line ("try --cross: 11 articles mention …").
      const p = el("p", "cross-hint", res.cross_hint.replace(/^try --cross:\s*/, "") + ": ");
      p.append(stateLink(searchState({ cross: "true" }), "search across languages", "cross-on"));
      add(p);
    }
    if (res.expansions && res.expansions.length) {
      const div = el("div", "expansions");
      div.append(el("span", "label", "Across languages, also searched: "));
      const ul = el("ul");
      for (const ex of res.expansions) {
        const li = el("li");
        li.append(el("q", null, ex.matched), " → ");
        const forms = [];
        for (const [lang, words] of Object.entries(ex.added || {})) {
          for (const w of words) forms.push([lang, w]);
        }
        forms.forEach(([lang, w], i) => {
          if (i) li.append(", ");
          li.append(el("span", "form", w), el("sub", "lang", lang));
        });
        if (ex.source) li.append(" ", el("span", "muted", "(" + ex.source + ")"));
        ul.append(li);
      }
      div.append(ul);
      add(div);
    }
  }

  function showError(err) {
    const box = $("messages");
    for (const old of box.querySelectorAll(".msg")) old.remove();
    const p = el("p", "error msg", err.message);
    if (err.hint) p.append(el("span", "hint", " hint: " + err.hint));
    box.append(p);
  }

  function pager(res) {
    const nav = $("pager");
    clear(nav);
    const limit = res.limit || LIMIT;
    const pages = Math.max(1, Math.ceil(res.total / limit));
    const page = res.page || 1;
    if (pages <= 1) return;
    const link = (n, text, label) => {
      const a = stateLink(Object.assign({}, state, { page: String(n), article: undefined }), text);
      if (label) a.setAttribute("aria-label", label);
      if (n === page) a.setAttribute("aria-current", "page");
      return a;
    };
    if (page > 1) nav.append(link(page - 1, "‹ previous", "previous page"));
    const from = Math.max(1, page - 4);
    const to = Math.min(pages, from + 8);
    for (let n = from; n <= to; n++) nav.append(link(n, String(n), "page " + n));
    if (page < pages) nav.append(link(page + 1, "next ›", "next page"));
  }

  function facetList(section, counts, key, labels = {}) {
    const ul = $(section).querySelector("ul");
    clear(ul);
    const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const active = state[key];
    if (active && !entries.some(([v]) => v === active)) entries.unshift([active, 0]);
    for (const [value, n] of entries.slice(0, 15)) {
      const li = el("li");
      const chosen = value === active;
      const next = searchState({ [key]: chosen ? undefined : value });
      const a = stateLink(next, "", chosen ? "facet chosen" : "facet");
      a.title = visible(labels[value] || value);
      a.append(el("span", "name", labels[value] || value), el("span", "count", n));
      if (chosen) {
        a.setAttribute("aria-pressed", "true");
        a.title += " (click again to remove this filter)";
        a.append(el("span", "x", "×"));
      }
      li.append(a);
      ul.append(li);
    }
    $(section).hidden = entries.length === 0;
  }

  const LANG_NAMES = { zh: "Chinese 中文", ms: "Malay", en: "English" };

  async function runSearch() {
    const seq = ++searchSeq;
    const q = state.q || "";
    $("saved-run").hidden = true;
    if (!q.trim()) {
      clear($("hits"));
      clear($("pager"));
      $("timeline").hidden = true;
      for (const old of $("messages").querySelectorAll(".msg")) old.remove();
      facetList("facet-lang", {}, "lang");
      facetList("facet-source", {}, "source");
      lastResults = null;
      showStats();
      return;
    }
    setSummary("searching…");
    let res;
    try {
      res = await api("/api/search?" + searchParams(state).toString());
    } catch (err) {
      if (seq !== searchSeq) return;
      setSummary("");
      clear($("hits"));
      clear($("pager"));
      showError(err);
      return;
    }
    if (seq !== searchSeq) return;
    lastResults = res;
    const hits = res.hits || [];
    const limit = res.limit || LIMIT;
    if (res.total === 0) setSummary("no hits");
    else if (!hits.length) setSummary(plural(res.total, "hit") + "; page " + res.page + " is past the end");
    else {
      const first = (res.page - 1) * limit + 1;
      setSummary(plural(res.total, "hit") + ", showing " + first + "–" + (first + hits.length - 1));
    }
    messagesFor(res);
    const ol = $("hits");
    clear(ol);
    ol.start = (res.page - 1) * limit + 1;
    for (const hit of hits) ol.append(hitElement(hit));
    pager(res);
    const facets = res.facets || {};
    facetList("facet-lang", facets.lang, "lang", LANG_NAMES);
    facetList("facet-source", facets.source, "source");
    let months = facets.month || {};
    let zoomed = false;
    if (state.date) {
      // The chart shows the whole period, not only the part kept: ask again without it.
      // When the whole period is drawn by year, the part kept is drawn by month instead.
      try {
        const wide = await api("/api/search?" + searchParams(state, { date: "", page: "1", limit: 1 }).toString());
        if (seq !== searchSeq) return;
        const all = (wide.facets && wide.facets.month) || {};
        const keys = Object.keys(all).sort();
        if (keys.length && monthsBetween(keys[0], keys[keys.length - 1]).length <= 120) months = all;
        else zoomed = Object.keys(months).length > 0;
      } catch (err) {
        // keep the filtered counts
      }
    }
    drawTimeline(months, zoomed);
  }

  async function showStats() {
    setSummary("");
    try {
      const stats = await api("/api/stats");
      if (state.q) return;
      const langs = Object.entries(stats.by_lang || {}).map(([l, n]) => l + " " + n).join(", ");
      let text = plural(stats.articles || 0, "article") + " indexed";
      if (langs) text += " (" + langs + ")";
      if (stats.date_min && stats.date_max) text += ", " + stats.date_min + " to " + stats.date_max;
      setSummary(text + ". Type a query and press Enter.");
    } catch (err) {
      showError(err);
    }
  }

  // ---------------------------------------------------------------- the timeline

  function monthsBetween(first, last) {
    const out = [];
    let [y, m] = first.split("-").map(Number);
    const [ly, lm] = last.split("-").map(Number);
    while (y < ly || (y === ly && m <= lm)) {
      out.push(y + "-" + String(m).padStart(2, "0"));
      m += 1;
      if (m > 12) {
        m = 1;
        y += 1;
      }
      if (out.length > 1200) break;
    }
    return out;
  }

  function lastDay(month) {
    const [y, m] = month.split("-").map(Number);
    return month + "-" + String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, "0");
  }

  // The months the date filter keeps, when it is a month or a range of whole months.
  function chosenMonths() {
    const d = state.date || "";
    let m = /^(\d{4}-\d{2})$/.exec(d);
    if (m) return [m[1], m[1]];
    m = /^(\d{4})$/.exec(d);
    if (m) return [m[1] + "-01", m[1] + "-12"];
    m = /^\[(\d{4}-\d{2})(?:-01)? TO (\d{4}-\d{2})(?:-\d{2})?\]$/.exec(d);
    if (m) return [m[1], m[2]];
    return null;
  }

  function monthSpec(a, b) {
    if (a > b) [a, b] = [b, a];
    return a === b ? a : "[" + a + "-01 TO " + lastDay(b) + "]";
  }

  function svg(tag, attrs, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.append(node);
    return node;
  }

  // Bars per month; over more than ten years, per year (a bar a month would be too thin to
  // read or click). Each bar: {key, from, to, n}, from/to its first and last month.
  function timelineBins(counts, months) {
    if (months.length <= 120) {
      return { unit: "month", bins: months.map((m) => ({ key: m, from: m, to: m, n: counts[m] || 0 })) };
    }
    const byYear = new Map();
    for (const m of months) {
      const y = m.slice(0, 4);
      if (!byYear.has(y)) byYear.set(y, { key: y, from: y + "-01", to: y + "-12", n: 0 });
      byYear.get(y).n += counts[m] || 0;
    }
    return { unit: "year", bins: Array.from(byYear.values()) };
  }

  function drawTimeline(counts, zoomed = false) {
    const fig = $("timeline");
    const box = $("timeline-chart");
    clear(box);
    const keys = Object.keys(counts || {}).filter((k) => /^\d{4}-\d{2}$/.test(k)).sort();
    if (!keys.length) {
      fig.hidden = true;
      return;
    }
    fig.hidden = false;
    let months = monthsBetween(keys[0], keys[keys.length - 1]);
    const kept = chosenMonths();
    if (zoomed && kept && monthsBetween(kept[0], kept[1]).length <= 120) {
      months = monthsBetween(kept[0], kept[1]); // the whole period kept, its empty months too
    }
    const { unit, bins } = timelineBins(counts, months);
    const caption = $("timeline-caption");
    clear(caption);
    caption.append("Matching articles per " + unit);
    if (zoomed) {
      caption.append(" in the period kept (", stateLink(searchState({ date: undefined }), "the whole period", "zoom-out"), ")");
    }
    const max = Math.max(1, ...bins.map((b) => b.n));
    const chosen = chosenMonths();
    const step = Math.max(8, Math.min(48, Math.floor(760 / bins.length)));
    const gap = step > 10 ? 2 : 1;
    const top = 16;
    const plot = 90;
    const width = Math.max(bins.length * step, 120) + 40;
    const height = top + plot + 22;
    const chart = svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      class: "chart",
      role: "group",
      "aria-label": "Matching articles per " + unit + ", " + bins[0].key + " to " + bins[bins.length - 1].key + "; arrow keys move, Enter keeps a " + unit,
    });
    svg("line", { x1: 0, x2: width, y1: top + plot + 0.5, y2: top + plot + 0.5, class: "axis" }, chart);
    const counted = step >= 16;
    if (!counted) {
      // No count over each bar: the scale instead.
      const maxLabel = svg("text", { x: 20, y: 11, class: "max" }, chart);
      maxLabel.textContent = "highest: " + plural(max, "article") + " a " + unit;
    }
    // Tick labels: every bar when there is room, else the first and every Nth year.
    const everyYears = unit === "year" ? Math.max(1, Math.ceil(40 / step)) : 1;
    const bars = [];
    bins.forEach((bin, i) => {
      const x = 20 + i * step;
      const h = bin.n ? Math.max(2, Math.round((bin.n / max) * plot)) : 0;
      const selected = chosen && bin.from >= chosen[0] && bin.to <= chosen[1];
      const g = svg("g", {
        class: "bar" + (selected ? " selected" : "") + (bin.n ? "" : " empty"),
        role: "button",
        tabindex: "-1",
        "data-period": bin.key,
        "data-count": bin.n,
        "aria-label": bin.key + ": " + plural(bin.n, "article"),
      }, chart);
      if (unit === "month") g.dataset.month = bin.key;
      svg("rect", { x: x, y: top, width: step, height: plot, class: "hit-area" }, g);
      svg("rect", { x: x + gap / 2, y: top + plot - h, width: step - gap, height: h, class: "fill" }, g);
      const title = svg("title", {}, g);
      title.textContent = bin.key + ": " + plural(bin.n, "article");
      if (bin.n && counted) {
        const label = svg("text", { x: x + step / 2, y: top + plot - h - 3, class: "count", "text-anchor": "middle" }, g);
        label.textContent = bin.n;
      }
      let tick = null;
      if (unit === "year") {
        if ((Number(bin.key) - Number(bins[0].key)) % everyYears === 0) tick = bin.key;
      } else if (step >= 30) {
        tick = i === 0 || bin.key.endsWith("-01") ? bin.key : bin.key.slice(5);
      } else if (i === 0 || bin.key.endsWith("-01")) {
        tick = bin.key.slice(0, 4);
      }
      if (tick !== null) {
        const centred = step >= 30;
        const text = svg("text", { x: x + (centred ? step / 2 : 0), y: height - 6, class: "tick", "text-anchor": centred ? "middle" : "start" }, chart);
        text.textContent = tick;
      }
      bars.push({ g, bin });
    });
    const focusable = bars.find((b) => b.g.classList.contains("selected")) || bars.filter((b) => b.bin.n).pop() || bars[0];
    focusable.g.setAttribute("tabindex", "0");
    const choose = (g, extend) => {
      const { bin } = bars.find((b) => b.g === g);
      let spec = bin.key;
      if (extend && chosen) {
        spec = monthSpec(bin.from < chosen[0] ? bin.from : chosen[0], bin.to > chosen[1] ? bin.to : chosen[1]);
      } else if (chosen && chosen[0] === bin.from && chosen[1] === bin.to) {
        spec = undefined; // the same bar again: the filter is dropped
      }
      go(searchState({ date: spec }));
    };
    chart.addEventListener("click", (ev) => {
      const g = ev.target.closest("g.bar");
      if (g) choose(g, ev.shiftKey);
    });
    chart.addEventListener("keydown", (ev) => {
      const g = ev.target.closest("g.bar");
      if (!g) return;
      const i = bars.findIndex((b) => b.g === g);
      let next = null;
      if (ev.key === "ArrowRight" || ev.key === "l") next = bars[Math.min(bars.length - 1, i + 1)];
      else if (ev.key === "ArrowLeft" || ev.key === "h") next = bars[Math.max(0, i - 1)];
      else if (ev.key === "Home") next = bars[0];
      else if (ev.key === "End") next = bars[bars.length - 1];
      else if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        choose(g, ev.shiftKey);
        return;
      } else return;
      ev.preventDefault();
      ev.stopPropagation();
      g.setAttribute("tabindex", "-1");
      next.g.setAttribute("tabindex", "0");
      next.g.focus();
    });
    box.append(chart);
  }

  // ---------------------------------------------------------------- the article view

  let openedFrom = null;

  async function showArticle(id) {
    const view = $("article-view");
    const dialog = view.querySelector("article");
    if (!view.hidden && view.dataset.id === id) return;
    if (view.hidden) openedFrom = document.activeElement;
    view.dataset.id = id;
    view.hidden = false;
    document.body.classList.add("reading");
    $("article-title").textContent = "loading…";
    clear($("article-meta"));
    clear($("article-body"));
    clear($("article-similar"));
    dialog.focus();
    let art;
    try {
      const qs = state.q ? "?q=" + encodeURIComponent(state.q) : "";
      art = await api(articlePath(id, qs));
    } catch (err) {
      $("article-title").textContent = visible(err.message);
      return;
    }
    if (view.dataset.id !== id) return;
    const title = $("article-title");
    clear(title);
    title.append(highlighted(art.title || id, art.title_highlights || []));
    $("article-meta").replaceWith(Object.assign(metaLine(art), { id: "article-meta" }));
    const body = $("article-body");
    body.append(highlighted(art.body || "", art.highlights || []));
    const first = body.querySelector("mark");
    if (first) first.scrollIntoView({ block: "center" });
    else dialog.scrollTop = 0;
    try {
      const like = await api(similarPath(id) + "?limit=5");
      if (view.dataset.id !== id) return;
      const ol = $("article-similar");
      for (const hit of like.hits || []) ol.append(hitElement(hit, { compact: true }));
      if (!(like.hits || []).length) ol.append(el("li", "muted", "nothing similar"));
    } catch (err) {
      $("article-similar").append(el("li", "error", err.message));
    }
  }

  function hideArticle() {
    const view = $("article-view");
    if (view.hidden) return;
    view.hidden = true;
    view.dataset.id = "";
    document.body.classList.remove("reading");
    const back = openedFrom && document.contains(openedFrom) ? openedFrom : null;
    const again = back || (view.dataset.from && document.querySelector('a.open[data-id="' + CSS.escape(view.dataset.from) + '"]'));
    if (again) again.focus();
    openedFrom = null;
  }

  function closeArticle() {
    if (!state.article) return hideArticle();
    go(Object.assign({}, state, { article: undefined }));
  }

  // ---------------------------------------------------------------- saved queries

  async function loadSaved() {
    const ul = $("saved-list");
    let list;
    try {
      list = await api("/api/saved");
    } catch (err) {
      $("saved-msg").textContent = visible(err.message);
      return;
    }
    const items = Array.isArray(list) ? list : list.saved || list.queries || [];
    clear(ul);
    for (const item of items) {
      const li = el("li", "saved-item");
      const name = item.name || (item.saved && item.saved.name);
      const a = stateLink({ saved: name }, "", "saved-name");
      a.append(el("span", "name", name));
      const fresh = Number(item.unseen ?? 0);
      if (fresh > 0) {
        const badge = el("span", "badge new", fresh + " new");
        badge.title = "not seen by any run yet" + (item.last_run ? " (last run " + item.last_run + ")" : "");
        badge.setAttribute("aria-label", plural(fresh, "new article"));
        a.append(" ", badge);
      }
      a.title = item.query || "";
      const del = el("button", "delete", "×");
      del.type = "button";
      del.setAttribute("aria-label", "delete saved query " + name);
      del.addEventListener("click", async () => {
        try {
          await api("/api/saved/" + encodeURIComponent(name), { method: "DELETE" });
          $("saved-msg").textContent = "deleted " + name;
        } catch (err) {
          $("saved-msg").textContent = visible(err.message);
        }
        loadSaved();
      });
      li.append(a, del, el("span", "saved-query muted", item.query || ""));
      ul.append(li);
    }
    if (!items.length) ul.append(el("li", "muted", "none yet"));
  }

  async function saveQuery(name) {
    if (!state.q) {
      $("saved-msg").textContent = "search for something first";
      return;
    }
    const body = { name, query: state.q, sort: state.sort || "relevance" };
    if (state.lang) body.lang = state.lang;
    if (state.date) body.date = state.date;
    if (state.cross) body.cross = true;
    if (state.match) body.match = state.match;
    try {
      await api("/api/saved", { method: "POST", body });
      $("saved-msg").textContent = "saved " + name;
      $("save-name").value = "";
    } catch (err) {
      $("saved-msg").textContent = visible(err.message + (err.hint ? " (" + err.hint + ")" : ""));
    }
    loadSaved();
  }

  async function runSaved(name) {
    const box = $("saved-run");
    clear(box);
    clear($("hits"));
    clear($("pager"));
    $("timeline").hidden = true;
    for (const old of $("messages").querySelectorAll(".msg")) old.remove();
    facetList("facet-lang", {}, "lang");
    facetList("facet-source", {}, "source");
    setSummary("running saved query " + name + "…");
    let run;
    try {
      run = await api("/api/saved/" + encodeURIComponent(name) + "/run", { method: "POST" });
    } catch (err) {
      setSummary("");
      showError(err);
      return;
    }
    if (Array.isArray(run)) run = run[0] || {};
    const hits = run.hits || [];
    const fresh = hits.filter((h) => h.new === true).length;
    const query = run.query || (run.saved && run.saved.query) || "";
    setSummary("saved query " + name + ": " + visible(query) + " — " + (run.first_run ? "first run: every hit is new" : plural(run.new ?? fresh, "new hit", "new hits")) + " of " + plural(run.total ?? hits.length, "hit"));
    box.hidden = false;
    box.append(stateLink(searchState({ q: query, saved: undefined }), "search for it with filters and the timeline", "as-search"));
    const ol = $("hits");
    ol.start = 1;
    for (const hit of hits) ol.append(hitElement(hit));
    loadSaved();
  }

  // ---------------------------------------------------------------- keyboard

  function hitLinks() {
    const scope = $("article-view").hidden ? $("hits") : $("article-similar");
    return Array.from(scope.querySelectorAll(":scope > li > h3 > a.open"));
  }

  function moveFocus(delta) {
    const links = hitLinks();
    if (!links.length) return;
    const current = document.activeElement && document.activeElement.closest("li.hit");
    let i = links.findIndex((a) => a.closest("li.hit") === current);
    i = i < 0 ? (delta > 0 ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, i + delta));
    links[i].focus();
    links[i].closest("li").scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    const typing = t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (ev.key === "Escape") {
      if (!$("article-view").hidden) {
        ev.preventDefault();
        closeArticle();
      } else if (typing) {
        t.blur();
      }
      return;
    }
    if (typing) {
      if (t === $("q") && ev.key === "ArrowDown" && hitLinks().length) {
        ev.preventDefault();
        moveFocus(1);
      }
      return;
    }
    if (ev.key === "/") {
      ev.preventDefault();
      if (!$("article-view").hidden) closeArticle();
      $("q").focus();
      $("q").select();
    } else if (ev.key === "j" || ev.key === "ArrowDown") {
      if (t.closest && t.closest("svg")) return;
      ev.preventDefault();
      moveFocus(1);
    } else if (ev.key === "k" || ev.key === "ArrowUp") {
      if (t.closest && t.closest("svg")) return;
      ev.preventDefault();
      moveFocus(-1);
    }
  });

  // Focus stays inside the open article: Tab from its last control goes to its first.
  $("article-view").addEventListener("keydown", (ev) => {
    if (ev.key !== "Tab") return;
    const dialog = $("article-view").querySelector("article");
    const items = Array.from(dialog.querySelectorAll("a[href], button, [tabindex='0']"));
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (ev.shiftKey && (document.activeElement === first || document.activeElement === dialog)) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  });

  // ---------------------------------------------------------------- the form

  function fillForm() {
    $("q").value = state.q || "";
    $("sort").value = state.sort || "relevance";
    $("cross").checked = !!state.cross;
    $("allwords").checked = state.match === "all";
    $("allcopies").checked = !!state.all;
    const chosen = chosenMonths();
    const d = state.date || "";
    const range = /^\[\s*(\S*)\s+TO\s*(\S*)\s*\]$/.exec(d);
    $("date-from").value = range ? range[1] : d;
    $("date-to").value = range ? range[2] : "";
    const active = $("date-active");
    clear(active);
    active.hidden = !d;
    if (d) {
      active.append("date: ", el("strong", null, chosen && d.startsWith("[") ? chosen[0] + " to " + chosen[1] : d), " ");
      const x = stateLink(searchState({ date: undefined }), "×", "chip-x");
      x.setAttribute("aria-label", "remove the date filter");
      active.append(x);
    }
  }

  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const match = $("allwords").checked ? "all" : state.match === "all" ? undefined : state.match;
    go(searchState({
      q: $("q").value.trim(),
      sort: $("sort").value,
      cross: $("cross").checked ? "true" : undefined,
      match,
      all: $("allcopies").checked ? "true" : undefined,
    }));
  });

  // Options apply at once when there is a query.
  for (const id of ["sort", "cross", "allwords", "allcopies"]) {
    $(id).addEventListener("change", () => {
      if (state.q) $("search-form").requestSubmit();
    });
  }

  $("date-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const from = $("date-from").value.trim();
    const to = $("date-to").value.trim();
    let spec;
    if (from && to) spec = "[" + from + " TO " + to + "]";
    else if (from) spec = from;
    else if (to) spec = "[TO " + to + "]";
    go(searchState({ date: spec }));
  });

  $("save-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = $("save-name").value.trim();
    if (!name) {
      $("saved-msg").textContent = "give it a name";
      $("save-name").focus();
      return;
    }
    saveQuery(name);
  });

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("mlsearch-token", token);
    $("token-box").hidden = true;
    render({});
    loadSaved();
  });

  $("article-close").addEventListener("click", closeArticle);
  $("article-view").addEventListener("click", (ev) => {
    if (ev.target === $("article-view")) closeArticle();
  });

  // ---------------------------------------------------------------- render

  function sameSearch(a, b) {
    return KEYS.filter((k) => k !== "article").every((k) => (a[k] || "") === (b[k] || ""));
  }

  function render(before) {
    fillForm();
    document.title = state.q ? state.q + " — mlsearch" : "mlsearch";
    if (state.saved) {
      if (!before || before.saved !== state.saved || !sameSearch(before, state)) runSaved(state.saved);
    } else if (!before || !sameSearch(before, state) || (!lastResults && state.q)) {
      runSearch();
    }
    if (state.article) showArticle(state.article);
    else hideArticle();
  }

  window.addEventListener("popstate", () => {
    const before = state;
    state = readState();
    render(before);
  });

  // A token can arrive in the address's fragment (#token=…): kept for this tab only and
  // taken out of the address, so it is not copied with a shared link.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    token = fragment.get("token");
    sessionStorage.setItem("mlsearch-token", token);
    history.replaceState(null, "", location.pathname + location.search);
  }

  state = readState();
  history.replaceState({ mlsearch: true }, "", urlFor(state));
  render(null);
  loadSaved();
  if (!state.q && !state.article) $("q").focus();
})();
