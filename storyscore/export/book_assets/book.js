/* storyscore picture book: pages, choices, history, read-to-me with fades, read-along.
 *
 * Every text from the story is inserted with textContent, never as markup.
 * Audio plays through <audio> elements whose volume is ramped by a timer:
 * Web Audio would be silent here, since browsers treat file:// media as
 * cross-origin and a MediaElementSource of it outputs zeros.
 */
(function () {
  "use strict";

  var FORMAT_VERSION = 1;
  var FADE_OUT = 0.5;   // seconds the outgoing audio takes to fade at a page turn
  var FADE_IN = 0.15;   // seconds the incoming audio takes to rise (no click)
  var WORD_TAIL = 0.6;  // seconds a word stays lit after it ends, unless the next starts
  var SWIPE = 50;       // pixels a horizontal swipe must travel to turn the page

  function byId(id) { return document.getElementById(id); }

  var ui = {
    read: byId("read"), prev: byId("prev"), next: byId("next"), where: byId("where"),
    spread: byId("spread"), picture: byId("picture"), title: byId("page-title"),
    narration: byId("narration"), choices: byId("choices"), choiceList: byId("choice-list"),
    ending: byId("ending"), again: byId("again"), announce: byId("announce"),
    players: byId("players")
  };

  var data;
  try {
    data = JSON.parse(byId("book-data").textContent);
  } catch (err) {
    data = null;
  }
  if (!data || data.version !== FORMAT_VERSION) {
    ui.title.textContent = "This book cannot be opened";
    ui.narration.textContent = "Its data is missing or was written by a different version of storyscore.";
    return;
  }

  var pages = new Map();
  data.pages.forEach(function (page) { pages.set(page.id, page); });

  var path = [data.first];   // the scenes visited, in order: Previous walks back along it
  var wordSpans = [];        // the current page's <span> per word index (null if not shown)
  var lit = -1;              // the word index now highlighted

  function currentPage() { return pages.get(path[path.length - 1]); }

  function say(text) {
    // Clearing first makes screen readers announce a repeated message again.
    ui.announce.textContent = "";
    window.setTimeout(function () { ui.announce.textContent = text; }, 30);
  }

  // ------------------------------------------------------------ rendering

  function render(direction) {
    var page = currentPage();
    var hadFocus = document.activeElement;

    ui.title.textContent = page.title;
    ui.picture.src = page.picture;
    ui.picture.alt = page.alt;
    ui.picture.width = page.width;
    ui.picture.height = page.height;

    wordSpans = page.words.map(function () { return null; });
    lit = -1;
    var paragraphs = page.paragraphs.map(function (runs) {
      var p = document.createElement("p");
      runs.forEach(function (run) {
        if (run[1] < 0) {
          p.append(document.createTextNode(run[0]));
          return;
        }
        var span = document.createElement("span");
        span.className = "word";
        span.textContent = run[0];
        wordSpans[run[1]] = span;
        p.append(span);
      });
      return p;
    });
    ui.narration.replaceChildren.apply(ui.narration, paragraphs);

    var buttons = page.choices.map(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = choice.text;
      button.addEventListener("click", function () { choose(choice); });
      return button;
    });
    ui.choiceList.replaceChildren.apply(ui.choiceList, buttons);
    ui.choices.hidden = buttons.length === 0;
    ui.choices.classList.remove("is-waiting");
    ui.ending.hidden = !page.ending;

    ui.prev.disabled = path.length < 2;
    ui.next.disabled = !page.next;
    ui.where.textContent = "Page " + path.length;
    document.title = page.title + " – " + data.title;

    if (direction) {
      // Restarting the animation needs a reflow between removing and adding the class.
      ui.spread.classList.remove("turn-forward", "turn-back");
      void ui.spread.offsetWidth;
      ui.spread.classList.add(direction === "back" ? "turn-back" : "turn-forward");
      say("Page " + path.length + ": " + page.title);
    }
    // A pressed button that vanished or became disabled leaves focus nowhere: put it on the page.
    if (direction && (!document.body.contains(hadFocus) || hadFocus.disabled ||
                      hadFocus === document.body)) {
      ui.title.focus({ preventScroll: true });
    }
  }

  // ----------------------------------------------------------- navigation

  function goForward(target, bridge) {
    path.push(target);
    render("forward");
    music.turn(bridge);
  }

  function next() {
    var page = currentPage();
    if (page.next) goForward(page.next, page.bridge);
  }

  function previous() {
    if (path.length < 2) return;
    path.pop();
    render("back");
    music.turn(null);
  }

  function choose(choice) {
    goForward(choice.target, choice.bridge);
  }

  function startAgain() {
    path = [data.first];
    render("back");
    music.turn(null);
  }

  ui.next.addEventListener("click", next);
  ui.prev.addEventListener("click", previous);
  ui.again.addEventListener("click", startAgain);
  ui.read.addEventListener("click", function () { music.setReading(!music.reading); });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    if (event.key === "ArrowRight" && currentPage().next) {
      event.preventDefault();
      next();
    } else if (event.key === "ArrowLeft" && path.length > 1) {
      event.preventDefault();
      previous();
    }
  });

  // Swipes by finger or pen; a mouse drag stays free to select text.
  var swipe = null;
  ui.spread.addEventListener("pointerdown", function (event) {
    swipe = event.pointerType === "mouse" || !event.isPrimary
      ? null : { id: event.pointerId, x: event.clientX, y: event.clientY };
  });
  ui.spread.addEventListener("pointercancel", function () { swipe = null; });
  ui.spread.addEventListener("pointerup", function (event) {
    if (!swipe || swipe.id !== event.pointerId) return;
    var dx = event.clientX - swipe.x;
    var dy = event.clientY - swipe.y;
    swipe = null;
    if (Math.abs(dx) < SWIPE || Math.abs(dx) < 1.5 * Math.abs(dy)) return;
    if (dx < 0) next(); else previous();
  });

  // ---------------------------------------------------------------- music

  var music = (function () {
    var probe = document.createElement("audio");
    probe.volume = 0.5;
    // iOS ignores volume: there the music cannot fade, only stop.
    var canFade = Math.abs(probe.volume - 0.5) < 0.01;

    var pool = [];            // <audio> elements, reused once silent
    var roles = new Map();    // element -> { kind: "page" | "bridge", turn, page }
    var ramps = new Map();    // element -> { from, to, t0, ms, done }
    var rampTimer = 0;
    var turnNo = 0;           // increases at every page turn and toggle: stale events are ignored
    var current = null;       // { el, page }: the audio of the page on screen
    var frame = 0;
    var state = { reading: false };

    function player() {
      for (var i = 0; i < pool.length; i++) {
        var el = pool[i];
        if (el.paused && !ramps.has(el) && (!current || current.el !== el)) return el;
      }
      var fresh = document.createElement("audio");
      fresh.preload = "auto";
      fresh.addEventListener("ended", function () { finished(fresh); });
      fresh.addEventListener("error", function () { finished(fresh); });
      fresh.addEventListener("playing", highlightLoop);
      fresh.addEventListener("timeupdate", function () {
        if (current && current.el === fresh) highlight();
      });
      ui.players.append(fresh);
      pool.push(fresh);
      return fresh;
    }

    function ramp(el, to, seconds, done) {
      if (!canFade || seconds <= 0) {
        ramps.delete(el);
        if (canFade) el.volume = to;
        if (done) done();
        return;
      }
      ramps.set(el, { from: el.volume, to: to, t0: performance.now(), ms: seconds * 1000, done: done });
      // A timer, not requestAnimationFrame: fades must finish in a background tab too.
      if (!rampTimer) rampTimer = window.setInterval(stepRamps, 20);
    }

    function stepRamps() {
      var now = performance.now();
      ramps.forEach(function (r, el) {
        var k = Math.min(1, (now - r.t0) / r.ms);
        el.volume = Math.max(0, Math.min(1, r.from + (r.to - r.from) * k));
        if (k >= 1) {
          ramps.delete(el);
          if (r.done) r.done();
        }
      });
      if (ramps.size === 0) {
        window.clearInterval(rampTimer);
        rampTimer = 0;
      }
    }

    function fadeOutAll() {
      pool.forEach(function (el) {
        if (el.paused) return;
        roles.delete(el);
        ramp(el, 0, FADE_OUT, function () { el.pause(); });
      });
    }

    function start(el, fadeIn) {
      // An element still fading out rises again from where it is.
      if (el.paused) el.volume = canFade && fadeIn ? 0 : 1;
      var promise = el.play();
      var begun = promise && promise.then ? promise : Promise.resolve();
      begun.then(function () {
        if (fadeIn) ramp(el, 1, FADE_IN);
      }, function (err) {
        roles.delete(el);
        if (err && err.name === "NotAllowedError") {
          setReading(false);
          say("Press Read to me to hear the story.");
        }
        // AbortError: a newer turn paused this element before it started; nothing to do.
      });
    }

    function load(el, url) {
      if (el.getAttribute("src") !== url) el.src = url;
      else el.currentTime = 0;
    }

    function playPage(page) {
      var el = player();
      ramps.delete(el);
      load(el, page.audio);
      roles.set(el, { kind: "page", turn: turnNo, page: page });
      current = { el: el, page: page };
      start(el, true);
    }

    function playBridge(url, page) {
      var el = player();
      ramps.delete(el);
      load(el, url);
      roles.set(el, { kind: "bridge", turn: turnNo, page: page });
      current = null;
      start(el, true);
    }

    function finished(el) {
      var role = roles.get(el);
      roles.delete(el);
      if (!role || role.turn !== turnNo || !state.reading) return;
      if (role.kind === "bridge") {
        playPage(role.page);
      } else {
        pageEnded(role.page);
      }
    }

    function pageEnded(page) {
      lightWord(-1);
      if (page !== currentPage()) return;
      if (page.next) {
        next();
      } else if (page.choices.length) {
        ui.choices.classList.add("is-waiting");
        say("Choose what happens next.");
      } else {
        say("The end.");
      }
    }

    function turn(bridge) {
      turnNo += 1;
      current = null;
      lightWord(-1);
      if (!state.reading) return;
      fadeOutAll();
      if (bridge) playBridge(bridge, currentPage());
      else playPage(currentPage());
    }

    function setReading(on) {
      turnNo += 1;
      state.reading = on;
      ui.read.setAttribute("aria-pressed", on ? "true" : "false");
      if (!on) {
        fadeOutAll();
        lightWord(-1);
        return;
      }
      var page = currentPage();
      if (current && current.page === page && !current.el.ended && current.el.currentTime > 0) {
        // Resume where reading stopped.
        ramps.delete(current.el);
        roles.set(current.el, { kind: "page", turn: turnNo, page: page });
        start(current.el, true);
      } else {
        playPage(page);
      }
    }

    function highlight() {
      if (!current || !state.reading) {
        lightWord(-1);
        return;
      }
      lightWord(wordAt(current.page.words, current.el.currentTime));
    }

    function highlightLoop() {
      if (frame) return;
      var tick = function () {
        frame = 0;
        highlight();
        if (current && !current.el.paused) frame = window.requestAnimationFrame(tick);
      };
      frame = window.requestAnimationFrame(tick);
    }

    state.turn = turn;
    state.setReading = setReading;
    return state;
  }());

  function wordAt(words, t) {
    var lo = 0;
    var hi = words.length - 1;
    var found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (words[mid][0] <= t) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return -1;
    var until = words[found][1] + WORD_TAIL;
    if (found + 1 < words.length) until = Math.min(until, words[found + 1][0]);
    return t < until ? found : -1;
  }

  function lightWord(index) {
    if (index === lit) return;
    if (lit >= 0 && wordSpans[lit]) wordSpans[lit].classList.remove("is-spoken");
    lit = index;
    if (lit >= 0 && wordSpans[lit]) wordSpans[lit].classList.add("is-spoken");
  }

  render(null);
  ui.read.disabled = false;
  document.documentElement.classList.add("is-ready");
}());
