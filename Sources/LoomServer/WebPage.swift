import Hummingbird

extension LoomServer {
    func addWebPage(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
    }
}

/// The search page at `/`, built into the binary: plain HTML, CSS and JavaScript over /api/search,
/// /api/thumb and /api/media. The query lives in the URL (`?q=`, `?like=ITEM`, `&m=image,audio`),
/// so a search can be bookmarked, shared and gone back to.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Loom search</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #fafafa; }
  body { margin: 0 auto; max-width: 1100px; padding: 12px; }
  form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  #q { flex: 1 1 240px; font-size: 1.1rem; padding: 8px; border: 1px solid #bbb; border-radius: 6px; }
  button { font-size: 1rem; padding: 8px 14px; border-radius: 6px; border: 1px solid #888; background: #fff; cursor: pointer; }
  #drop { margin: 10px 0; padding: 14px; border: 2px dashed #aaa; border-radius: 8px; text-align: center; color: #555; }
  #drop.over { border-color: #0a60ff; color: #0a60ff; }
  .filters { display: flex; gap: 12px; flex-wrap: wrap; font-size: .95rem; }
  #status { margin: 8px 0; color: #555; min-height: 1.2em; }
  #results { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
  .hit { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 8px; display: flex; flex-direction: column; gap: 6px; overflow: hidden; }
  .hit img { width: 100%; height: 160px; object-fit: cover; border-radius: 4px; background: #eee; }
  .hit audio { width: 100%; min-width: 0; max-width: 100%; }
  .hit .name { font-weight: 600; word-break: break-all; }
  .hit .snippet { font-size: .9rem; color: #333; }
  .hit .meta { font-size: .8rem; color: #666; display: flex; justify-content: space-between; gap: 6px; }
  .hit button { font-size: .85rem; padding: 4px 8px; align-self: flex-start; }
  body:not(.scores) .score { display: none; }
  #more { margin: 14px auto; display: none; }
  #key { display: none; }
</style>
</head>
<body>
<form id="search">
  <input id="q" name="q" type="search" placeholder="Search images, audio and text" autocomplete="off">
  <button type="submit">Search</button>
  <input id="key" type="password" placeholder="API key">
</form>
<div id="drop">Drop a file here (or <label><u>choose one</u><input id="file" type="file" hidden></label>) to find similar items</div>
<div class="filters">
  <label><input type="checkbox" name="m" value="image" checked> images</label>
  <label><input type="checkbox" name="m" value="audio" checked> audio</label>
  <label><input type="checkbox" name="m" value="text" checked> text</label>
  <label><input type="checkbox" id="scores"> show scores</label>
</div>
<div id="status"></div>
<div id="results"></div>
<button id="more" type="button">More results</button>
<script>
const $ = (id) => document.getElementById(id);
let state = { q: "", like: null, page: 1, file: null };
let key = localStorage.getItem("loomKey") || "";

function modalities() { return [...document.querySelectorAll("input[name=m]:checked")].map((box) => box.value); }
function withKey(url) { return key ? url + (url.includes("?") ? "&" : "?") + "api_key=" + encodeURIComponent(key) : url; }
function headers() { return key ? { "X-Api-Key": key } : {}; }

function toURL() {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.like) params.set("like", state.like);
  const m = modalities();
  if (m.length < 3) params.set("m", m.join(","));
  if ($("scores").checked) params.set("scores", "1");
  history.pushState(null, "", params.toString() ? "?" + params : location.pathname);
}

function fromURL() {
  const params = new URLSearchParams(location.search);
  state = { q: params.get("q") || "", like: params.get("like"), page: 1, file: null };
  $("q").value = state.q;
  const m = params.get("m");
  document.querySelectorAll("input[name=m]").forEach((box) => { box.checked = !m || m.split(",").includes(box.value); });
  $("scores").checked = params.get("scores") === "1";
  document.body.classList.toggle("scores", $("scores").checked);
}

async function run(append) {
  if (!state.q && !state.like && !state.file) { $("results").innerHTML = ""; $("status").textContent = ""; return; }
  $("status").textContent = "Searching…";
  let response;
  if (state.file) {
    const form = new FormData();
    form.append("file", state.file);
    form.append("modality", modalities().join(","));
    form.append("page", String(state.page));
    response = await fetch("/api/search", { method: "POST", body: form, headers: headers() });
  } else {
    const body = { modality: modalities(), page: state.page, k: 24 };
    if (state.like) body.item_id = Number(state.like); else body.query = state.q;
    response = await fetch("/api/search", { method: "POST", body: JSON.stringify(body), headers: { ...headers(), "Content-Type": "application/json" } });
  }
  const reply = await response.json();
  if (response.status === 401) { $("key").style.display = "block"; $("status").textContent = "This server needs an API key."; return; }
  if (!response.ok) { $("status").textContent = reply.error ? reply.error.message : "Search failed"; return; }
  if (!append) $("results").innerHTML = "";
  reply.results.forEach(show);
  const count = $("results").children.length;
  $("status").textContent = count ? count + " results" : "No results";
  $("more").style.display = reply.next_page ? "block" : "none";
}

function time(seconds) { const m = Math.floor(seconds / 60); return m + ":" + (seconds - m * 60).toFixed(1).padStart(4, "0"); }

function show(hit) {
  const card = document.createElement("div");
  card.className = "hit";
  card.dataset.item = hit.item_id;
  if (hit.modality === "image") {
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = hit.name;
    img.src = withKey(hit.thumb_url);
    card.append(img);
  } else if (hit.modality === "audio") {
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.src = withKey(hit.media_url);
    if (hit.start !== undefined) {
      card.dataset.start = hit.start;
      // The player starts at the matched segment.
      audio.addEventListener("loadedmetadata", () => { audio.currentTime = hit.start; }, { once: true });
    }
    card.append(audio);
  }
  const name = document.createElement("a");
  name.className = "name";
  name.href = withKey(hit.media_url);
  name.textContent = hit.name;
  card.append(name);
  if (hit.snippet && hit.match !== "filename") {
    const snippet = document.createElement("div");
    snippet.className = "snippet";
    snippet.textContent = hit.snippet;
    card.append(snippet);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const what = document.createElement("span");
  what.textContent = hit.modality + (hit.start !== undefined ? " " + time(hit.start) + "–" + time(hit.end) : "");
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = hit.score.toFixed(3);
  meta.append(what, score);
  card.append(meta);
  const like = document.createElement("button");
  like.type = "button";
  like.textContent = "More like this";
  like.addEventListener("click", () => { state = { q: "", like: String(hit.item_id), page: 1, file: null }; $("q").value = ""; toURL(); run(false); });
  card.append(like);
  $("results").append(card);
}

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  state = { q: $("q").value.trim(), like: null, page: 1, file: null };
  toURL();
  run(false);
});
$("key").addEventListener("change", () => { key = $("key").value; localStorage.setItem("loomKey", key); run(false); });
document.querySelectorAll("input[name=m]").forEach((box) => box.addEventListener("change", () => { state.page = 1; toURL(); run(false); }));
$("scores").addEventListener("change", () => { document.body.classList.toggle("scores", $("scores").checked); toURL(); });
$("more").addEventListener("click", () => { state.page += 1; run(true); });
function searchFile(file) { if (!file) return; state = { q: "", like: null, page: 1, file }; $("q").value = ""; $("status").textContent = "Searching like " + file.name + "…"; run(false); }
$("file").addEventListener("change", () => searchFile($("file").files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => { event.preventDefault(); drop.classList.remove("over"); searchFile(event.dataTransfer.files[0]); });
window.addEventListener("popstate", () => { fromURL(); run(false); });
fromURL();
run(false);
</script>
</body>
</html>
"""#
}
