// The live preview: renders the story from /events and keeps the reader's place.
"use strict";

const shown = new Map(); // scene id -> JSON text of what its page shows
let story = null;
let selected = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return node;
}

function pageOf(scene) {
  const section = el("section", { class: "page", id: "scene-" + scene.id, "data-scene": scene.id });
  section.append(el("img", { src: scene.picture, alt: scene.title, width: story.width,
                             height: story.height }));
  section.append(el("h2", {}, scene.title));
  section.append(el("div", { class: "meta" }, scene.id + " · " + scene.duration));
  const narration = el("div", { class: "narration" });
  for (const paragraph of scene.paragraphs) narration.append(el("p", {}, paragraph));
  section.append(narration);
  if (scene.choices.length) {
    const list = el("ul", { class: "choices" });
    for (const choice of scene.choices) {
      list.append(el("li", {}, el("a", { href: "#scene-" + choice.target }, choice.text)));
    }
    section.append(list);
  } else if (scene.next) {
    section.append(el("p", { class: "next" }, el("a", { href: "#scene-" + scene.next },
      "→ " + scene.next + (scene.transition ? " (" + scene.transition + ")" : ""))));
  } else {
    section.append(el("p", { class: "next" }, "The end."));
  }
  section.addEventListener("click", () => select(scene.id));
  return section;
}

// The page nearest the top of the view, and how far down the view it sits.
function anchor() {
  for (const page of document.querySelectorAll(".page")) {
    const box = page.getBoundingClientRect();
    if (box.bottom > 60) return { id: page.dataset.scene, top: box.top };
  }
  return null;
}

function renderBook(book) {
  const place = anchor();
  const wanted = new Set(book.scenes.map((s) => s.id));
  for (const id of [...shown.keys()]) {
    if (!wanted.has(id)) {
      document.getElementById("scene-" + id).remove();
      shown.delete(id);
    }
  }
  const container = document.getElementById("book");
  let previous = null;
  for (const scene of book.scenes) {
    const text = JSON.stringify(scene);
    let node = document.getElementById("scene-" + scene.id);
    if (shown.get(scene.id) !== text) {
      const fresh = pageOf(scene);
      if (node) node.replaceWith(fresh); // only a changed scene is redrawn
      node = fresh;
      shown.set(scene.id, text);
    }
    const expected = previous ? previous.nextSibling : container.firstChild;
    if (expected !== node) container.insertBefore(node, expected);
    previous = node;
  }
  if (place) {
    const page = document.getElementById("scene-" + place.id);
    if (page) window.scrollBy(0, page.getBoundingClientRect().top - place.top);
  }
}

function renderTimeline(book) {
  const bar = document.getElementById("timeline");
  bar.replaceChildren();
  const total = book.timeline.reduce((sum, t) => sum + t.duration, 0) || 1;
  for (const item of book.timeline) {
    const segment = el("div", { class: "segment", "data-scene": item.id },
      el("strong", {}, item.id), el("br"),
      (item.silent ? "silent" : item.key + ", " + item.tempo + " BPM"), el("br"),
      item.start.toFixed(1) + "–" + (item.start + item.duration).toFixed(1) + "s",
      item.transition ? el("span", { class: "transition" }, item.transition) : null);
    segment.style.flex = String(item.duration / total);
    segment.addEventListener("click", () => {
      select(item.id);
      document.getElementById("scene-" + item.id).scrollIntoView();
    });
    bar.append(segment);
  }
}

function fill(id, text) {
  document.getElementById(id).textContent = text || "—";
}

function select(id) {
  if (!story) return;
  const scene = story.scenes.find((s) => s.id === id) || story.scenes[0];
  selected = scene.id;
  for (const node of document.querySelectorAll("[data-scene]")) {
    node.classList.toggle("selected", node.dataset.scene === selected);
  }
  fill("panel-title", scene.title + " (" + scene.id + ")");
  fill("panel-duration", scene.duration);
  fill("panel-then", scene.choices.length ? "a choice" :
    (scene.next ? scene.next + (scene.transition ? " by " + scene.transition : "") : "the end"));
  fill("panel-music", scene.music);
  fill("panel-asked", scene.asked);
  fill("panel-picture", scene.picture_note);
  const reasons = document.getElementById("panel-reasons");
  reasons.replaceChildren(...scene.reasons.map((r) => el("li", {}, r.choice + ": " + r.because)));
  const features = document.getElementById("panel-features");
  features.replaceChildren(...scene.features.map((f) => el("li", {}, f)));
}

function render(state) {
  const error = document.getElementById("error");
  error.hidden = state.error === null;
  error.textContent = state.error || "";
  document.getElementById("book").classList.toggle("stale", state.error !== null);
  document.getElementById("status").textContent =
    (state.error ? "the script has errors; showing the last good version" : "up to date") +
    " · update " + state.version;
  if (state.story) {
    story = state.story;
    document.title = story.title + " · storyscore preview";
    fill("title", story.title + (story.author ? " — " + story.author : ""));
    renderBook(story);
    renderTimeline(story);
    select(selected && story.scenes.some((s) => s.id === selected) ? selected : story.first);
  }
  document.body.dataset.version = String(state.version);
}

const events = new EventSource("/events");
events.addEventListener("story", (event) => render(JSON.parse(event.data)));
events.addEventListener("error", () => {
  document.getElementById("status").textContent = "disconnected; retrying…";
});
