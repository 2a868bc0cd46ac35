// newsum web page: plain JS, no build step.
//
// Safety rule for this file: article text, titles, names, warnings and error
// messages all come from the outside world. They reach the page ONLY through
// textContent / DOM nodes (see el()); innerHTML is never used with data.
"use strict";

(() => {
  // Relative paths: the page also works behind a proxy that serves it under a prefix.
  const API = {
    summaries: "v1/summaries",
    batches: "v1/batches",
    job: (id) => `v1/jobs/${encodeURIComponent(id)}`,
    jobEvents: (id) => `v1/jobs/${encodeURIComponent(id)}/events`,
    batch: (id) => `v1/batches/${encodeURIComponent(id)}`,
    batchResults: (id) => `v1/batches/${encodeURIComponent(id)}/results`,
    batchResultsAs: (id, format) => `v1/batches/${encodeURIComponent(id)}/results?format=${format}`,
  };
  const WAIT_S = 3; // hold the first request this long: cache hits and short jobs come back at once
  const POLL_MS = 1000;
  const STAGES = {
    queued: "waiting for a worker",
    intake: "reading the input",
    fetch: "fetching the page",
    extract: "finding the article",
    normalize: "normalizing",
    segment: "splitting sentences",
    summarize: "summarizing",
    summarize_together: "summarizing, with other articles of its batch",
    translate: "translating",
    check: "checking names and numbers",
    store: "storing",
  };

  // GET /v1/batches/{id}'s overall state, in words.
  const BATCH_STATES = {
    queued: "waiting to start",
    running: "running",
    done: "finished",
    failed: "finished: every item failed",
    partial: "finished: some items failed",
  };
  // Warnings that point an administrator to "Getting English" (workers.english.notices):
  // the no-English note says the same, with the link, so they are not listed twice.
  const GETTING_ENGLISH = "Getting English";

  const $ = (id) => document.getElementById(id);

  // Build an element; string children become text nodes (never parsed as HTML).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    node.replaceChildren();
    return node;
  }

  // ---- state ---------------------------------------------------------------------------

  let activeTab = "pane-text";
  let pickedFiles = [];
  let run = 0; // bumped on each new action, so stale pollers stop

  // ---- errors and status -------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, { status = 0, code = null, limit = null, retryAfter = null } = {}) {
      super(message);
      this.status = status;
      this.code = code;
      this.limit = limit;
      this.retryAfter = retryAfter;
    }
  }

  // Turn any error body the service may send into one readable message.
  async function errorFrom(response) {
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    const retryAfter = response.headers.get("Retry-After");
    let message = `The service answered ${response.status} ${response.statusText}`.trim();
    let code = null;
    let limit = null;
    if (body && typeof body.error === "object" && body.error) {
      message = body.error.message || message;
      code = body.error.code || null;
      limit = body.error.limit ?? null;
    } else if (body && typeof body.error === "string") {
      message = body.error;
    } else if (body && Array.isArray(body.detail)) {
      message = body.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
    } else if (body && typeof body.detail === "string") {
      message = body.detail;
    }
    return new ApiError(message, { status: response.status, code, limit, retryAfter });
  }

  async function api(path, init) {
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError(`Could not reach the service (${err.message || err}).`);
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  function showError(err) {
    hideStatus();
    const message = err && err.message ? err.message : String(err);
    $("error-message").textContent = message;
    const detail = [];
    if (err && err.code) detail.push(`code: ${err.code}`);
    if (err && err.limit !== null && err.limit !== undefined) detail.push(`limit: ${err.limit}`);
    if (err && err.status) detail.push(`HTTP ${err.status}`);
    if (err && err.retryAfter) detail.push(`try again in ${err.retryAfter} s`);
    $("error-detail").textContent = detail.join(" · ");
    $("error").hidden = false;
  }

  function hideError() {
    $("error").hidden = true;
  }

  function showStatus(text, progress, stage) {
    $("status").hidden = false;
    $("status-text").textContent = text;
    $("status-stage").textContent = stage ? STAGES[stage] || stage : "";
    const bar = $("status-progress");
    if (typeof progress === "number") bar.value = Math.max(0, Math.min(1, progress));
    else bar.removeAttribute("value"); // indeterminate
  }

  function hideStatus() {
    $("status").hidden = true;
    hideDraft();
  }

  // The direct-LLM brief as the model writes it (the job's "brief" events): raw,
  // not yet checked. It goes when the job ends: the checked result replaces it.
  function showDraft(text) {
    $("draft-text").textContent = text;
    $("draft").hidden = false;
  }

  function hideDraft() {
    $("draft").hidden = true;
    $("draft-text").textContent = "";
  }

  function busy(on) {
    $("submit").disabled = on;
    $("submit").textContent = on ? "Working…" : "Summarize";
  }

  // ---- input ---------------------------------------------------------------------------

  function selectTab(paneId) {
    activeTab = paneId;
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      const selected = tab.dataset.pane === paneId;
      tab.setAttribute("aria-selected", String(selected));
      $(tab.dataset.pane).hidden = !selected;
    }
    $("input-note").textContent = "";
  }

  function options() {
    const sentences = parseInt($("opt-sentences").value, 10);
    const opts = {
      profile: $("opt-profile").value,
      sentences: Number.isFinite(sentences) ? sentences : 4,
      translate: $("opt-translate").checked,
    };
    const strategy = $("opt-strategy").value;
    if (strategy) opts.strategy = strategy;
    return opts;
  }

  // Decode an uploaded page the way the service's intake does: strict UTF-8 first
  // (pages often mislabel themselves gb2312), then the <meta> charset, then GB18030.
  function decodeFile(bytes) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (_) {
      // not UTF-8
    }
    const head = new TextDecoder("latin1").decode(bytes.slice(0, 4096));
    const meta = /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)/i.exec(head);
    let label = meta ? meta[1].toLowerCase() : "gb18030";
    if (["gb2312", "gbk", "x-gbk", "cp936", "euc-cn"].includes(label)) label = "gb18030";
    try {
      return new TextDecoder(label).decode(bytes);
    } catch (_) {
      return new TextDecoder("gb18030").decode(bytes);
    }
  }

  async function fileItem(file) {
    const text = decodeFile(new Uint8Array(await file.arrayBuffer()));
    const isHtml = /\.html?$/i.test(file.name) || file.type === "text/html";
    return isHtml ? { id: file.name, html: text } : { id: file.name, text };
  }

  function setFiles(files) {
    const accepted = [];
    const refused = [];
    for (const file of files) {
      if (/\.(txt|html?)$/i.test(file.name)) accepted.push(file);
      else refused.push(file.name);
    }
    pickedFiles = accepted;
    const list = clear($("file-list"));
    for (const file of accepted) {
      list.append(el("li", {}, file.name, el("span", { class: "hint" }, ` ${formatBytes(file.size)}`)));
    }
    $("input-note").textContent = refused.length
      ? `Skipped (only .txt and .html): ${refused.join(", ")}`
      : accepted.length > 1
        ? `${accepted.length} files will be sent as one batch.`
        : "";
  }

  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }

  // ---- single article --------------------------------------------------------------

  async function submitSingle(input) {
    const myRun = ++run;
    hideDraft();
    showStatus("Sending…", null, null);
    const response = await api(API.summaries, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ ...input, options: options(), wait: WAIT_S }),
    });
    const body = await response.json();
    if (myRun !== run) return;
    if (response.status === 202) {
      history.replaceState(null, "", `#/jobs/${encodeURIComponent(body.job_id)}`);
      const job = await followJob(body.job_id, myRun);
      if (job) renderResult(job.result, null);
    } else {
      // A 200 carries its job's id: the address names it, so a reload shows it again.
      hideStatus();
      const here = location.pathname + location.search;
      history.replaceState(null, "", body.job_id ? `${here}#/jobs/${encodeURIComponent(body.job_id)}` : here);
      renderResult(body, null);
    }
  }

  function jobStatusText(job) {
    if (job.state === "queued") return "Queued";
    if (job.state === "running") return `Working — ${Math.round((job.progress || 0) * 100)}%`;
    if (job.state === "done") return "Done";
    return "Failed";
  }

  function failedJobError(job) {
    const e = job.error || {};
    return new ApiError(e.message || "The job failed.", { code: e.code, limit: e.limit ?? null });
  }

  // Follow a job to its end: server-sent events where possible, polling otherwise.
  // Resolves with the finished job (state done, result set) or null if superseded.
  function followJob(jobId, myRun) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (job) => {
        if (settled) return;
        settled = true;
        if (myRun !== run) return resolve(null);
        if (job.state === "failed") return reject(failedJobError(job));
        if (!job.result) {
          return reject(new ApiError("The job finished, but its result has expired. Submit the article again."));
        }
        hideStatus();
        resolve(job);
      };
      const onProgress = (job) => {
        if (!settled && myRun === run) showStatus(jobStatusText(job), job.progress, job.stage || job.state);
      };

      const poll = async () => {
        while (!settled && myRun === run) {
          let job;
          try {
            job = await (await api(API.job(jobId), { headers: { Accept: "application/json" } })).json();
          } catch (err) {
            settled = true;
            return reject(err);
          }
          if (job.state === "done" || job.state === "failed") {
            // The done event and the job body both carry the result.
            return finish(job);
          }
          onProgress(job);
          // Polling readers see the brief as it is written too (the job's brief_text).
          if (typeof job.brief_text === "string" && job.brief_text) showDraft(job.brief_text);
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        if (!settled) {
          settled = true;
          resolve(null);
        }
      };

      if (!("EventSource" in window)) return poll();
      const source = new EventSource(API.jobEvents(jobId));
      const parse = (event) => {
        try {
          return JSON.parse(event.data);
        } catch (_) {
          return null;
        }
      };
      source.addEventListener("progress", (event) => {
        const job = parse(event);
        if (myRun !== run) source.close();
        else if (job) onProgress(job);
      });
      source.addEventListener("brief", (event) => {
        const brief = parse(event);
        if (myRun !== run) source.close();
        else if (!settled && brief && typeof brief.text === "string") showDraft(brief.text);
      });
      source.addEventListener("done", (event) => {
        source.close();
        const job = parse(event);
        if (job && job.result) finish(job);
        else poll(); // a done event without a result: read the job itself
      });
      source.addEventListener("failed", (event) => {
        source.close();
        const job = parse(event);
        finish(job || { state: "failed", error: { message: "The job failed." } });
      });
      source.addEventListener("error", () => {
        // The stream broke (proxy, restart) or never opened: fall back to polling.
        source.close();
        if (!settled) poll();
      });
    });
  }

  async function showJob(jobId, backToBatch) {
    const myRun = ++run;
    hideError();
    hideDraft();
    showStatus("Loading…", null, null);
    const job = await (await api(API.job(jobId), { headers: { Accept: "application/json" } })).json();
    if (myRun !== run) return;
    let finished = job;
    if (job.state === "queued" || job.state === "running") {
      finished = await followJob(jobId, myRun);
      if (!finished) return;
    } else if (job.state === "failed") {
      throw failedJobError(job);
    } else if (!job.result) {
      throw new ApiError("The job finished, but its result has expired. Submit the article again.");
    }
    hideStatus();
    renderResult(finished.result, backToBatch);
  }

  // ---- batches ---------------------------------------------------------------------------

  async function submitBatch(files) {
    const myRun = ++run;
    showStatus(`Reading ${files.length} files…`, null, null);
    const items = await Promise.all(files.map(fileItem));
    const response = await api(API.batches, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ items, options: options() }),
    });
    const body = await response.json();
    if (myRun !== run) return;
    hideStatus();
    location.hash = `#/batches/${encodeURIComponent(body.batch_id)}`;
  }

  function parseNdjson(text) {
    return text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch (_) {
          return null;
        }
      })
      .filter(Boolean);
  }

  async function showBatch(batchId) {
    const myRun = ++run;
    hideError();
    hideDraft();
    $("result").hidden = true;
    $("batch").hidden = false;
    $("batch-id").textContent = `Batch ${batchId}`;
    $("batch-download-csv").setAttribute("href", API.batchResultsAs(batchId, "csv"));
    $("batch-download-csv").setAttribute("download", `newsum-batch-${batchId}.csv`);
    $("batch-download-jsonl").setAttribute("href", API.batchResultsAs(batchId, "jsonl"));
    $("batch-download-jsonl").setAttribute("download", `newsum-batch-${batchId}.jsonl`);
    clear($("batch-items"));
    let polls = 0;
    for (;;) {
      const batch = await (await api(API.batch(batchId), { headers: { Accept: "application/json" } })).json();
      if (myRun !== run) return;
      renderBatchStatus(batch);
      const states = batch.states || {};
      const finished =
        batch.finished_at || (states.done || 0) + (states.failed || 0) >= (batch.count || 0);
      // Item list: at the end, and now and then while running (it can be large).
      if (finished || polls % 5 === 0) {
        const response = await api(API.batchResults(batchId), { headers: { Accept: "application/x-ndjson" } });
        const lines = parseNdjson(await response.text());
        if (myRun !== run) return;
        renderBatchItems(batchId, lines);
      }
      if (finished) return;
      polls += 1;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  function renderBatchStatus(batch) {
    const states = batch.states || {};
    const count = batch.count || 0;
    const finishedItems = (states.done || 0) + (states.failed || 0);
    const progress = typeof batch.progress === "number" ? batch.progress : count ? finishedItems / count : 0;
    $("batch-progress").value = progress;
    $("batch-count").textContent = `${count} item${count === 1 ? "" : "s"} · ${Math.round(progress * 100)}%`;
    const parts = ["queued", "running", "done", "failed"].map((s) => `${states[s] || 0} ${s}`);
    const word = BATCH_STATES[batch.state] || (batch.finished_at ? "finished" : "");
    $("batch-states").textContent = parts.join(" · ") + (word ? ` — ${word}` : "");
    const finished = ["done", "failed", "partial"].includes(batch.state) || !!batch.finished_at;
    $("batch-download-note").textContent = finished ? "" : " (those finished so far)";
  }

  function renderBatchItems(batchId, lines) {
    const list = clear($("batch-items"));
    for (const line of lines) {
      const title = line.result && line.result.article ? line.result.article.title : null;
      const label = line.id || `item ${line.index + 1}`;
      const item = el(
        "li",
        { class: `batch-item state-${line.state}` },
        el("span", { class: `badge ${line.state}` }, line.state),
        " ",
        line.job_id && line.state === "done"
          ? el("a", { href: `#/jobs/${encodeURIComponent(line.job_id)}?batch=${encodeURIComponent(batchId)}` }, label)
          : el("span", {}, label),
        title ? el("span", { class: "item-title", lang: "zh" }, ` — ${title}`) : null,
        line.error ? el("span", { class: "item-error" }, ` — ${line.error.message}`) : null,
      );
      list.append(item);
    }
  }

  // ---- result ------------------------------------------------------------------------------

  function addMeta(list, term, ...values) {
    const shown = values.filter((v) => v !== null && v !== undefined && v !== "");
    if (!shown.length) return;
    list.append(el("dt", {}, term), el("dd", {}, ...shown));
  }

  function personList(people) {
    return (people || []).map((p, i) =>
      el(
        "span",
        { class: "person" },
        i ? ", " : null,
        el("span", { lang: "zh" }, p.name),
        p.romanized ? el("span", { class: "romanized" }, ` (${p.romanized})`) : null,
      ),
    );
  }

  function highlightSources(sources, on, scroll) {
    for (const node of document.querySelectorAll(".source-sentence.highlight")) {
      node.classList.remove("highlight");
    }
    if (!on) return;
    let first = null;
    for (const index of sources) {
      const node = $(`sentence-${index}`);
      if (!node) continue;
      node.classList.add("highlight");
      first = first || node;
    }
    if (scroll && first) first.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  // Summary sentences as list items, each linked to its source sentences in the article.
  function sentenceItems(list, sentences, lang) {
    sentences.forEach((s, i) => {
      const text = lang === "en" ? s.en : s.zh;
      if (!text) return;
      const sources = Array.isArray(s.sources) ? s.sources : [];
      const links = sources.map((index) =>
        el(
          "button",
          {
            type: "button",
            class: "source-link",
            title: `Source sentence ${index + 1}`,
            "data-source": index,
            onmouseenter: () => highlightSources([index], true, false),
            onmouseleave: () => highlightSources(sources, true, false),
            onfocus: () => highlightSources([index], true, false),
            onclick: (event) => {
              event.stopPropagation();
              highlightSources([index], true, true);
            },
          },
          String(index + 1),
        ),
      );
      const item = el(
        "li",
        {
          class: "summary-sentence",
          tabindex: 0,
          "data-sources": sources.join(","),
          onmouseenter: () => highlightSources(sources, true, false),
          onmouseleave: () => highlightSources([], false, false),
          onclick: () => highlightSources(sources, true, true),
          onkeydown: (event) => {
            if (event.key === "Enter") highlightSources(sources, true, true);
          },
        },
        el("span", { class: lang, lang }, text),
        links.length ? el("span", { class: "sources", "aria-label": "sources" }, " ", ...links) : null,
      );
      item.id = `summary-${i}`;
      list.append(item);
    });
  }

  function renderResult(result, backToBatch) {
    hideError();
    hideStatus();
    $("result").hidden = false;
    $("batch").hidden = true;
    $("result-back").hidden = !backToBatch;
    if (backToBatch) $("result-back-link").setAttribute("href", `#/batches/${encodeURIComponent(backToBatch)}`);

    const article = result.article || {};
    const summary = result.summary || {};
    const checks = result.checks || {};
    const prov = result.provenance || {};
    const reasons = result.review_reasons || [];
    const sentences = summary.sentences || [];
    const english = sentences.some((s) => s.en) || !!summary.en;
    // No translation model on the server: nothing here can be English (key terms aside).
    const noTranslator =
      article.language !== "en" && !(prov.models || []).some((m) => m.role === "translation");
    const offlineChosen = !noTranslator && prov.profile === "offline" && !english;
    const warnings = (checks.warnings || []).filter(
      (w) => !reasons.includes(w) && !(noTranslator && w.includes(GETTING_ENGLISH)),
    );

    // Metadata
    $("result-title").textContent = article.title || "(no title found)";
    $("result-title-en").textContent = article.title_en || "";
    $("result-title-en").hidden = !article.title_en;
    const meta = clear($("meta-list"));
    addMeta(meta, "Date", article.published);
    addMeta(meta, "Outlet", article.outlet ? el("span", { lang: "zh" }, article.outlet) : null);
    if ((article.authors || []).length) addMeta(meta, article.authors.length > 1 ? "Authors" : "Author", ...personList(article.authors));
    if ((article.editors || []).length) addMeta(meta, article.editors.length > 1 ? "Editors" : "Editor", ...personList(article.editors));
    if (article.url && /^https?:\/\//i.test(article.url)) {
      addMeta(meta, "Source", el("a", { href: article.url, rel: "noopener noreferrer nofollow", target: "_blank" }, article.url));
    }
    addMeta(meta, "Language", article.language);
    addMeta(meta, "Method", summary.method);

    // What is missing and who can fix it, in plain words.
    $("no-english").hidden = !(noTranslator || offlineChosen);
    $("no-english-link").parentElement.hidden = !noTranslator;
    $("no-english-text").textContent = noTranslator
      ? "This newsum server has no translation model, so the headline, the summary and the " +
        "article are in Chinese only. The key sentences, the key terms (with pinyin and " +
        "dictionary English) and the article below are all here. Whoever runs the server can " +
        "add the model; the link below says how."
      : "You chose the offline profile, which writes no English. Choose “auto” to get English.";

    // Warnings
    const warningList = clear($("warning-list"));
    for (const w of warnings) warningList.append(el("li", {}, w));
    $("warnings").hidden = !warnings.length;

    // Review flags and near-duplicates (issue 6): what a person should look at, and why.
    let review = $("review");
    if (!review) {
      review = el("div", { id: "review", class: "warnings review", role: "status" });
      $("warnings").before(review);
    }
    clear(review);
    if (result.needs_review) {
      review.append(el("h3", {}, "Needs review"), el("ul", { id: "review-list" }, reasons.map((r) => el("li", {}, r))));
    }
    const cluster = result.cluster;
    if (cluster && cluster.size > 1) {
      const shared = cluster.representative_id !== null && cluster.representative_id !== undefined;
      review.append(
        el("h3", {}, `Same story as ${cluster.size - 1} other article(s) in this batch`),
        el("p", { id: "cluster-note" }, shared ? `Summary from batch item ${cluster.representative_id}.` : ""),
        (cluster.added || []).length ? el("p", {}, "Only here: ", el("span", { lang: "zh" }, cluster.added.join(" "))) : null,
        (cluster.removed || []).length ? el("p", {}, "Missing here: ", el("span", { lang: "zh" }, cluster.removed.join(" "))) : null,
      );
    }
    review.hidden = !review.childNodes.length;

    // English summary, one sentence per line, each linked to its sources. Without
    // English, the key sentences are listed (and linked) once: in the Chinese panel.
    const list = clear($("summary-sentences"));
    $("en-missing").hidden = english;
    $("en-missing").textContent = noTranslator
      ? "No English summary: this server has no translation model yet (see the note above). " +
        "The key sentences are in the Chinese brief."
      : "No English summary in this result" + (warnings.length ? " (see the warnings above)." : ".");
    if (english && !sentences.length) list.append(el("li", { class: "summary-sentence" }, summary.en));
    if (english) sentenceItems(list, sentences, "en");
    $("en-hint").hidden = !english || !sentences.length;

    // Chinese brief: the text beside an English summary; the linked key sentences without one.
    const zhList = clear($("zh-sentences"));
    const zhLinked = !english && sentences.some((s) => s.zh);
    if (zhLinked) sentenceItems(zhList, sentences, "zh");
    const zh = summary.zh || sentences.map((s) => s.zh).filter(Boolean).join("");
    $("zh-brief").textContent = zh || "(no Chinese brief)";
    $("zh-brief").hidden = zhLinked;
    zhList.hidden = !zhLinked;
    $("zh-hint").hidden = !zhLinked;

    // Key terms
    const terms = result.key_terms || [];
    const tbody = clear($("key-terms").querySelector("tbody"));
    for (const t of terms) {
      tbody.append(
        el(
          "tr",
          {},
          el("td", { class: "zh-term", lang: "zh" }, t.zh),
          el("td", { class: "pinyin" }, t.pinyin),
          el("td", { class: "en-term" }, t.en || "—"),
          el("td", { class: "kind hint" }, t.kind || ""),
        ),
      );
    }
    $("key-terms").hidden = !terms.length;
    $("terms-missing").hidden = !!terms.length;

    // Checks
    const checkList = clear($("checks-list"));
    const numbers = checks.numbers || {};
    const names = checks.names || {};
    const listOrOk = (items) => (items && items.length ? items.join(", ") : "none");
    if (english || summary.en) {
      addMeta(checkList, "Numbers missing in English", listOrOk(numbers.missing));
      addMeta(checkList, "Numbers not in the source", listOrOk(numbers.unsupported));
      addMeta(checkList, "Names missing in English", listOrOk(names.missing));
      addMeta(checkList, "Names not in the source", listOrOk(names.unsupported));
    } else {
      // Nothing English to compare: "none missing" would be a false all-clear.
      addMeta(checkList, "Names and numbers", "not checked: there is no English summary");
    }

    // Full translation, on demand
    const translation = result.translation;
    const toggle = $("translation-toggle");
    const tlist = clear($("translation"));
    tlist.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = "Show the full translation";
    if (Array.isArray(translation)) {
      $("translation-missing").hidden = true;
      toggle.hidden = false;
      for (const pair of translation) {
        tlist.append(el("li", {}, el("p", { class: "zh", lang: "zh" }, pair.zh), el("p", { class: "en" }, pair.en)));
      }
    } else {
      toggle.hidden = true;
      // The service says why in checks.warnings; point there rather than repeat it.
      $("translation-missing").hidden = false;
      $("translation-missing").textContent = noTranslator
        ? "No full translation: this server has no translation model yet (see the note above)."
        : warnings.length
          ? "No full translation in this result (see the warnings above)."
          : "No full translation in this result: it was not asked for.";
    }

    // The article, sentence by sentence, as the summary's sources index it
    // Paragraph breaks are found by locating each sentence in the clean text.
    const body = clear($("article-sentences"));
    const articleSentences = article.sentences || [];
    const fullText = article.text || "";
    let position = 0;
    let paragraph = el("p");
    articleSentences.forEach((text, i) => {
      const at = fullText.indexOf(text, position);
      if (at >= 0) {
        if (i > 0 && fullText.slice(position, at).includes("\n") && paragraph.childNodes.length) {
          body.append(paragraph);
          paragraph = el("p");
        }
        position = at + text.length;
      }
      paragraph.append(
        el("span", { class: "source-sentence", id: `sentence-${i}`, "data-index": i }, el("sup", { class: "num" }, String(i + 1)), text),
      );
    });
    if (paragraph.childNodes.length) body.append(paragraph);
    $("article-count").textContent = `(${articleSentences.length} sentences)`;
    const removed = article.removed || [];
    const removedList = clear($("removed-list"));
    for (const line of removed) removedList.append(el("li", {}, line));
    $("removed-count").textContent = String(removed.length);
    $("removed-details").hidden = !removed.length;

    // Provenance
    const provList = clear($("prov-list"));
    addMeta(provList, "Pipeline", prov.pipeline);
    addMeta(provList, "Profile", prov.profile);
    addMeta(
      provList,
      "Models",
      ...(prov.models || []).map((m, i) =>
        el("span", { class: "model" }, i ? "; " : "", `${m.id}${m.revision ? ` @ ${m.revision.slice(0, 12)}` : ""} (${m.role}, ${m.engine}${m.licence ? `, ${m.licence}` : ""})`),
      ),
    );
    addMeta(provList, "Cached", prov.cached ? "yes" : "no");
    addMeta(provList, "Time", typeof prov.elapsed_ms === "number" ? `${(prov.elapsed_ms / 1000).toFixed(2)} s` : null);
    addMeta(provList, "Result id", result.id);
    const link = $("download-json");
    if (link.dataset.url) URL.revokeObjectURL(link.dataset.url);
    const blobUrl = URL.createObjectURL(new Blob([JSON.stringify(result, null, 2)], { type: "application/json" }));
    link.dataset.url = blobUrl;
    link.setAttribute("href", blobUrl);

    $("result").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // ---- routing: #/jobs/<id>, #/batches/<id> ------------------------------------------------

  async function route(fromNavigation) {
    const hash = location.hash;
    const job = /^#\/jobs\/([^?]+)(?:\?batch=(.+))?$/.exec(hash);
    const batch = /^#\/batches\/(.+)$/.exec(hash);
    try {
      if (job) {
        busy(true);
        await showJob(decodeURIComponent(job[1]), job[2] ? decodeURIComponent(job[2]) : null);
      } else if (batch) {
        // No busy button here: a new article may go in while a batch runs.
        await showBatch(decodeURIComponent(batch[1]));
      } else if (fromNavigation) {
        // Back to the start page: stop following anything and clear the views.
        run += 1;
        hideStatus();
        hideError();
        $("result").hidden = true;
        $("batch").hidden = true;
      }
    } catch (err) {
      showError(err);
    } finally {
      busy(false);
    }
  }

  // ---- wiring --------------------------------------------------------------------------------

  async function onSubmit(event) {
    event.preventDefault();
    hideError();
    $("batch").hidden = true;
    busy(true);
    try {
      if (activeTab === "pane-text") {
        const text = $("article-text").value;
        if (!text.trim()) throw new ApiError("Paste the text of a Chinese article first.");
        $("result").hidden = true;
        await submitSingle({ text });
      } else if (activeTab === "pane-url") {
        const url = $("article-url").value.trim();
        if (!url) throw new ApiError("Give the address of a Chinese news page first.");
        $("result").hidden = true;
        await submitSingle({ url });
      } else {
        if (!pickedFiles.length) throw new ApiError("Drop or choose one or more .txt or .html files first.");
        $("result").hidden = true;
        if (pickedFiles.length === 1) {
          const item = await fileItem(pickedFiles[0]);
          delete item.id;
          await submitSingle(item);
        } else {
          await submitBatch(pickedFiles);
        }
      }
    } catch (err) {
      showError(err);
    } finally {
      busy(false);
    }
  }

  function init() {
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      tab.addEventListener("click", () => selectTab(tab.dataset.pane));
    }
    $("summary-form").addEventListener("submit", onSubmit);
    $("file-input").addEventListener("change", (event) => setFiles([...event.target.files]));
    const zone = $("drop-zone");
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      setFiles([...event.dataTransfer.files]);
    });
    // Dropping a file anywhere on the page should not navigate away from it.
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        selectTab("pane-files");
        setFiles([...event.dataTransfer.files]);
      }
    });
    $("translation-toggle").addEventListener("click", () => {
      const list = $("translation");
      list.hidden = !list.hidden;
      $("translation-toggle").setAttribute("aria-expanded", String(!list.hidden));
      $("translation-toggle").textContent = list.hidden ? "Show the full translation" : "Hide the full translation";
    });
    window.addEventListener("hashchange", () => route(true));
    route(false);
  }

  init();
})();
