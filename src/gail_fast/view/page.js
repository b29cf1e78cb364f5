// The rollout viewer's page: a Canvas2D perspective renderer of MuJoCo geoms replayed
// from recorded qpos, the pose-feature overlay, playback controls and linked plots.
// No libraries and no network: the data is inlined in the <script id="data"> element
// (arrays as base64 float32, see gail_fast/view/page.py).
(function () {
  "use strict";

  // ---- errors go into the page too, so a headless browser's DOM shows them ----------------
  const errors = [];
  function report(message) {
    errors.push(String(message));
    const el = document.getElementById("errors");
    el.hidden = false;
    el.textContent = errors.join("\n");
    document.body.dataset.errors = String(errors.length);
  }
  window.addEventListener("error", (e) => report("error: " + e.message));
  window.addEventListener("unhandledrejection", (e) => report("unhandled rejection: " + e.reason));
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    report(args.join(" "));
    consoleError(...args);
  };

  const DATA = JSON.parse(document.getElementById("data").textContent);

  function decode(b64) {
    if (!b64) return null;
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  function decodeTrack(t) {
    if (!t) return null;
    return {
      label: t.label,
      n: t.length,
      bodies: decode(t.bodies), // (n, ngeom, 7): position, quaternion (w, x, y, z)
      sites: decode(t.sites), // (n, 6, 3): pelvis, feet, hands, head
      root: decode(t.root), // (n, 3)
      heading: decode(t.heading), // (n, 2)
      features: decode(t.features), // (n, 18)
      envReward: decode(t.envReward), // (n,)
    };
  }

  function decodeScores(s) {
    return s ? { d: decode(s.d), reward: decode(s.reward), kind: s.kind, mode: s.mode } : null;
  }

  const episodes = DATA.episodes.map((e) => ({
    label: e.label,
    main: decodeTrack(e.policy),
    reference: decodeTrack(e.reference),
    scores: decodeScores(e.scores),
    referenceScores: decodeScores(e.referenceScores),
  }));

  // ---- state --------------------------------------------------------------------------------
  const view = {
    episode: 0,
    t: 0, // frame, fractional while playing
    playing: true,
    speed: 1,
    refMode: "beside",
    trails: true,
    arrows: true,
    follow: "main",
    azimuth: -1.05, // rad; the camera starts at the body's front right
    elevation: 0.22,
    distance: 4.2,
  };
  const TRAIL_SECONDS = 1.5;
  const SITE_COLOURS = [null, "#e4572e", "#1f9e89", "#f2a900", "#6a3d9a", "#3b7dd8"]; // feet, hands, head
  const SITE_LABELS = ["pelvis", "left foot", "right foot", "left hand", "right hand", "head"];
  const REFERENCE_RGBA = [0.36, 0.56, 0.86, 1.0];
  const LIGHT = normalize([0.35, -0.45, 1.0]); // world direction towards the light
  const AXIS_COLOURS = ["#d62728", "#2ca02c", "#1f77b4"];

  function current() {
    return episodes[view.episode];
  }

  // The main track is the policy's; a clip viewed on its own is its own main track.
  function mainTrack(ep) {
    return ep.main || ep.reference;
  }

  function frames(ep) {
    return mainTrack(ep).n;
  }

  function hasSeparateReference(ep) {
    return ep.main !== null && ep.reference !== null;
  }

  // Where the reference is drawn at main frame t: its frame (a shorter clip loops) and an
  // offset. "beside" and "overlaid" keep its pelvis by the policy's, to compare poses;
  // "path" lets it walk its own path from the policy's start, each loop going on from
  // where the last one ended, to compare progress.
  function referenceAt(ep, t) {
    const ref = ep.reference;
    if (!hasSeparateReference(ep)) return { frame: Math.min(t, ref.n - 1), offset: [0, 0, 0] };
    const cycle = Math.floor(t / ref.n);
    const frame = t - cycle * ref.n;
    if (view.refMode === "path") {
      const last = 3 * (ref.n - 1);
      return { frame, offset: [cycle * (ref.root[last] - ref.root[0]), cycle * (ref.root[last + 1] - ref.root[1]), 0] };
    }
    const main = ep.main;
    const offset = [main.root[3 * t] - ref.root[3 * frame], main.root[3 * t + 1] - ref.root[3 * frame + 1], 0];
    if (view.refMode === "beside") {
      offset[0] += DATA.lateral[0];
      offset[1] += DATA.lateral[1];
    }
    return { frame, offset };
  }

  // ---- small vector helpers ------------------------------------------------------------------
  function sub(a, b) {
    return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  }
  function add(a, b) {
    return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
  }
  function scale(a, s) {
    return [a[0] * s, a[1] * s, a[2] * s];
  }
  function dot(a, b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  }
  function cross(a, b) {
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  }
  function normalize(a) {
    const n = Math.hypot(a[0], a[1], a[2]) || 1;
    return [a[0] / n, a[1] / n, a[2] / n];
  }
  // v rotated by the unit quaternion (w, x, y, z) stored at q[i..i+3]
  function rotate(q, i, v) {
    const w = q[i], x = q[i + 1], y = q[i + 2], z = q[i + 3];
    const tx = 2 * (y * v[2] - z * v[1]);
    const ty = 2 * (z * v[0] - x * v[2]);
    const tz = 2 * (x * v[1] - y * v[0]);
    return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
  }
  function point(arr, i, offset) {
    return [arr[i] + offset[0], arr[i + 1] + offset[1], arr[i + 2] + offset[2]];
  }
  function rgb(c, k, alpha) {
    const f = (v) => Math.max(0, Math.min(255, Math.round(v * k * 255)));
    return `rgba(${f(c[0])},${f(c[1])},${f(c[2])},${alpha === undefined ? c[3] : alpha})`;
  }
  function lighten(c, k) {
    const f = (v) => Math.max(0, Math.min(255, Math.round((v + (1 - v) * k) * 255)));
    return `rgba(${f(c[0])},${f(c[1])},${f(c[2])},${c[3]})`;
  }

  // ---- camera ---------------------------------------------------------------------------------
  const canvas = document.getElementById("scene");
  const ctx = canvas.getContext("2d");
  const cam = { eye: [0, 0, 0], right: [1, 0, 0], up: [0, 0, 1], fwd: [0, 1, 0], focal: 1, cx: 0, cy: 0 };
  const NEAR = 0.05;

  function setCamera(target) {
    const ce = Math.cos(view.elevation);
    const dir = [ce * Math.cos(view.azimuth), ce * Math.sin(view.azimuth), Math.sin(view.elevation)];
    cam.eye = add(target, scale(dir, view.distance));
    cam.fwd = scale(dir, -1);
    cam.right = normalize(cross(cam.fwd, [0, 0, 1]));
    cam.up = cross(cam.right, cam.fwd);
    cam.cx = canvas.width / 2;
    cam.cy = canvas.height / 2;
    cam.focal = canvas.height / 2 / Math.tan((40 * Math.PI) / 360); // 40 degree vertical field of view
  }

  function toCamera(p) {
    const d = sub(p, cam.eye);
    return [dot(d, cam.right), dot(d, cam.up), dot(d, cam.fwd)];
  }

  function projectCamera(c) {
    return [cam.cx + (cam.focal * c[0]) / c[2], cam.cy - (cam.focal * c[1]) / c[2], c[2]];
  }

  // [x, y, depth] on screen, or null behind the near plane
  function project(p) {
    const c = toCamera(p);
    return c[2] < NEAR ? null : projectCamera(c);
  }

  // a world segment clipped to the near plane, on screen; null if wholly behind
  function projectSegment(a, b) {
    let ca = toCamera(a);
    let cb = toCamera(b);
    if (ca[2] < NEAR && cb[2] < NEAR) return null;
    if (ca[2] < NEAR || cb[2] < NEAR) {
      const s = (NEAR - ca[2]) / (cb[2] - ca[2]);
      const m = [ca[0] + s * (cb[0] - ca[0]), ca[1] + s * (cb[1] - ca[1]), NEAR];
      if (ca[2] < NEAR) ca = m;
      else cb = m;
    }
    return [projectCamera(ca), projectCamera(cb)];
  }

  // ---- the floor ------------------------------------------------------------------------------
  function drawBackground() {
    const g = ctx.createLinearGradient(0, 0, 0, canvas.height);
    g.addColorStop(0, "#b9cbe0");
    g.addColorStop(1, "#e9eef5");
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function drawFloor(target) {
    if (!DATA.floor) return;
    const R = 14;
    const x0 = Math.floor(target[0]) - R, y0 = Math.floor(target[1]) - R;
    // the floor's square, clipped to the near plane (a convex polygon stays convex)
    const corners = [[x0, y0, 0], [x0 + 2 * R, y0, 0], [x0 + 2 * R, y0 + 2 * R, 0], [x0, y0 + 2 * R, 0]].map(toCamera);
    const poly = [];
    for (let i = 0; i < 4; i++) {
      const a = corners[i], b = corners[(i + 1) % 4];
      if (a[2] >= NEAR) poly.push(a);
      if ((a[2] >= NEAR) !== (b[2] >= NEAR)) {
        const s = (NEAR - a[2]) / (b[2] - a[2]);
        poly.push([a[0] + s * (b[0] - a[0]), a[1] + s * (b[1] - a[1]), NEAR]);
      }
    }
    if (poly.length >= 3) {
      ctx.beginPath();
      poly.map(projectCamera).forEach((p, i) => (i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])));
      ctx.closePath();
      ctx.fillStyle = rgb(DATA.floor, 1.0, 1);
      ctx.fill();
    }
    ctx.lineWidth = Math.max(1, canvas.height / 900);
    for (let k = 0; k <= 2 * R; k++) {
      ctx.strokeStyle = (x0 + k) % 5 === 0 ? "rgba(40,50,70,0.35)" : "rgba(40,50,70,0.15)";
      const lines = [
        [[x0 + k, y0, 0], [x0 + k, y0 + 2 * R, 0]],
        [[x0, y0 + k, 0], [x0 + 2 * R, y0 + k, 0]],
      ];
      for (const [a, b] of lines) {
        const s = projectSegment(a, b);
        if (!s) continue;
        ctx.beginPath();
        ctx.moveTo(s[0][0], s[0][1]);
        ctx.lineTo(s[1][0], s[1][1]);
        ctx.stroke();
      }
    }
  }

  // ---- bodies ---------------------------------------------------------------------------------
  // Each geom becomes a draw item with a depth; items are drawn far to near (painter's order).
  function geomItems(track, frame, offset, colour, items, shadows) {
    const G = DATA.geoms.length;
    const base = frame * G * 7;
    for (let g = 0; g < G; g++) {
      const geom = DATA.geoms[g];
      const i = base + 7 * g;
      const c = point(track.bodies, i, offset);
      const rgba = colour || geom.rgba;
      const size = geom.size;
      if (geom.type === "capsule" || geom.type === "cylinder") {
        const axis = rotate(track.bodies, i + 3, [0, 0, size[1]]);
        const a = sub(c, axis), b = add(c, axis);
        shadows.push({ kind: "segment", a, b, r: size[0] });
        const pc = project(c);
        if (pc) items.push({ depth: pc[2], draw: () => drawLimb(a, b, size[0], rgba, geom.type === "capsule") });
      } else if (geom.type === "box") {
        shadows.push({ kind: "segment", a: c, b: c, r: Math.max(size[0], size[1]) });
        const pc = project(c);
        if (pc) items.push({ depth: pc[2], draw: () => drawBox(track.bodies, i, c, size, rgba) });
      } else {
        // spheres; ellipsoids drawn as the sphere of their mean radius
        const r = geom.type === "sphere" ? size[0] : (size[0] + size[1] + size[2]) / 3;
        shadows.push({ kind: "segment", a: c, b: c, r });
        const pc = project(c);
        if (pc) items.push({ depth: pc[2], draw: () => drawBall(c, r, rgba) });
      }
    }
  }

  function markerItems(track, frame, offset, items, shadows) {
    const i = frame * 18;
    const pelvis = point(track.sites, i, offset);
    const pp = project(pelvis);
    if (pp) items.push({ depth: pp[2] + 0.01, draw: () => {
      for (let s = 1; s < 6; s++) drawLimb(pelvis, point(track.sites, i + 3 * s, offset), 0.012, REFERENCE_RGBA, true);
    } });
    for (let s = 0; s < 6; s++) {
      const p = point(track.sites, i + 3 * s, offset);
      shadows.push({ kind: "segment", a: p, b: p, r: 0.05 });
      const q = project(p);
      if (q) items.push({ depth: q[2], draw: () => drawBall(p, s === 5 ? 0.09 : 0.05, REFERENCE_RGBA) });
    }
  }

  function outline(width) {
    return Math.max(1, width * 0.06);
  }

  function drawLimb(a, b, r, rgba, round) {
    const s = projectSegment(a, b);
    if (!s) return;
    const [A, B] = s;
    const w = cam.focal * r * (1 / A[2] + 1 / B[2]); // the mean of both ends' projected diameters
    let nx = -(B[1] - A[1]), ny = B[0] - A[0];
    const len = Math.hypot(nx, ny);
    if (len < 1e-6) { nx = 1; ny = 0; } else { nx /= len; ny /= len; }
    if (nx * -0.6 + ny * -0.8 < 0) { nx = -nx; ny = -ny; } // the side facing the light, up-left
    const mx = (A[0] + B[0]) / 2, my = (A[1] + B[1]) / 2;
    const g = ctx.createLinearGradient(mx - (nx * w) / 2, my - (ny * w) / 2, mx + (nx * w) / 2, my + (ny * w) / 2);
    g.addColorStop(0, rgb(rgba, 0.55));
    g.addColorStop(0.55, rgb(rgba, 1.0));
    g.addColorStop(0.8, lighten(rgba, 0.35));
    g.addColorStop(1, rgb(rgba, 0.85));
    ctx.lineCap = round ? "round" : "butt";
    ctx.beginPath();
    ctx.moveTo(A[0], A[1]);
    ctx.lineTo(B[0], B[1]);
    ctx.strokeStyle = "rgba(20,25,35,0.45)";
    ctx.lineWidth = w + 2 * outline(w);
    ctx.stroke();
    ctx.strokeStyle = g;
    ctx.lineWidth = w;
    ctx.stroke();
  }

  function drawBall(c, r, rgba) {
    const p = project(c);
    if (!p) return;
    const R = (cam.focal * r) / p[2];
    const g = ctx.createRadialGradient(p[0] - 0.35 * R, p[1] - 0.4 * R, 0.05 * R, p[0], p[1], R);
    g.addColorStop(0, lighten(rgba, 0.45));
    g.addColorStop(0.5, rgb(rgba, 1.0));
    g.addColorStop(1, rgb(rgba, 0.6));
    ctx.beginPath();
    ctx.arc(p[0], p[1], R + outline(2 * R), 0, 2 * Math.PI);
    ctx.fillStyle = "rgba(20,25,35,0.45)";
    ctx.fill();
    ctx.beginPath();
    ctx.arc(p[0], p[1], R, 0, 2 * Math.PI);
    ctx.fillStyle = g;
    ctx.fill();
  }

  const BOX_FACES = [
    [[1, 0, 0], [1, 3, 7, 5]], [[-1, 0, 0], [0, 4, 6, 2]], [[0, 1, 0], [2, 6, 7, 3]],
    [[0, -1, 0], [0, 1, 5, 4]], [[0, 0, 1], [4, 5, 7, 6]], [[0, 0, -1], [0, 2, 3, 1]],
  ];

  function drawBox(q, i, c, size, rgba) {
    const corners = [];
    for (let k = 0; k < 8; k++) {
      const local = [k & 1 ? size[0] : -size[0], k & 2 ? size[1] : -size[1], k & 4 ? size[2] : -size[2]];
      corners.push(add(c, rotate(q, i + 3, local)));
    }
    for (const [normal, idx] of BOX_FACES) {
      const n = rotate(q, i + 3, normal);
      const centre = scale(idx.reduce((s, k) => add(s, corners[k]), [0, 0, 0]), 0.25);
      if (dot(n, sub(cam.eye, centre)) <= 0) continue; // faces away
      const pts = idx.map((k) => project(corners[k]));
      if (pts.some((p) => !p)) continue;
      ctx.beginPath();
      pts.forEach((p, j) => (j ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])));
      ctx.closePath();
      ctx.fillStyle = rgb(rgba, 0.5 + 0.5 * Math.max(0, dot(n, LIGHT)));
      ctx.fill();
      ctx.strokeStyle = "rgba(20,25,35,0.45)";
      ctx.lineWidth = 1;
      ctx.stroke();
    }
  }

  function drawShadows(shadows) {
    ctx.save();
    ctx.strokeStyle = "rgba(30,35,50,0.16)";
    ctx.lineCap = "round";
    for (const s of shadows) {
      const a = [s.a[0], s.a[1], 0.002], b = [s.b[0], s.b[1], 0.002];
      const seg = projectSegment(a, b);
      if (!seg) continue;
      // lower bodies cast darker shadows
      const h = Math.min(s.a[2], s.b[2]);
      ctx.globalAlpha = Math.max(0.15, 1 - h / 1.8);
      ctx.lineWidth = cam.focal * 2 * s.r * (0.5 / seg[0][2] + 0.5 / seg[1][2]);
      ctx.beginPath();
      ctx.moveTo(seg[0][0], seg[0][1]);
      ctx.lineTo(seg[1][0] + 0.01, seg[1][1]);
      ctx.stroke();
    }
    ctx.restore();
  }

  // ---- the feature overlay --------------------------------------------------------------------
  function drawTrails(track, frame, offset, alpha) {
    if (!track.sites) return;
    const n = Math.round(TRAIL_SECONDS / DATA.dt);
    const first = Math.max(0, frame - n);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (let s = 1; s < 6; s++) {
      ctx.strokeStyle = SITE_COLOURS[s];
      for (let f = first; f < frame; f++) {
        const seg = projectSegment(point(track.sites, 18 * f + 3 * s, offset), point(track.sites, 18 * (f + 1) + 3 * s, offset));
        if (!seg) continue;
        ctx.globalAlpha = alpha * (0.15 + (0.85 * (f - first)) / Math.max(1, frame - first));
        ctx.lineWidth = Math.max(1.5, canvas.height / 300);
        ctx.beginPath();
        ctx.moveTo(seg[0][0], seg[0][1]);
        ctx.lineTo(seg[1][0], seg[1][1]);
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
  }

  function drawArrow(a, b, colour, width) {
    const seg = projectSegment(a, b);
    if (!seg) return;
    const [A, B] = seg;
    const dx = B[0] - A[0], dy = B[1] - A[1];
    const len = Math.hypot(dx, dy);
    if (len < 2) return;
    const head = Math.min(len * 0.4, 6 + 3 * width);
    const ux = dx / len, uy = dy / len;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = width;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(A[0], A[1]);
    ctx.lineTo(B[0] - ux * head * 0.8, B[1] - uy * head * 0.8);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(B[0], B[1]);
    ctx.lineTo(B[0] - ux * head - uy * head * 0.5, B[1] - uy * head + ux * head * 0.5);
    ctx.lineTo(B[0] - ux * head + uy * head * 0.5, B[1] - uy * head - ux * head * 0.5);
    ctx.closePath();
    ctx.fill();
  }

  // The pelvis heading on the ground, and where the mean velocity of the last k steps
  // (the features' displacement term) carries the pelvis in one second.
  function drawPelvisArrows(track, frame, offset, alpha) {
    if (!track.sites) return;
    const width = Math.max(2, canvas.height / 250);
    ctx.globalAlpha = alpha;
    const pelvis = point(track.sites, 18 * frame, offset);
    if (track.heading) {
      const h = [track.heading[2 * frame], track.heading[2 * frame + 1], 0];
      const ground = [pelvis[0], pelvis[1], 0.01];
      drawArrow(ground, add(ground, scale(h, 0.5)), "#222a38", width);
    }
    const back = Math.min(frame, DATA.history);
    if (back > 0) {
      const past = point(track.sites, 18 * (frame - back), offset);
      const velocity = scale(sub(pelvis, past), 1 / (back * DATA.dt));
      drawArrow(pelvis, add(pelvis, velocity), "#c2185b", width);
    }
    ctx.globalAlpha = 1;
  }

  // ---- one frame ------------------------------------------------------------------------------
  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const w = Math.round(canvas.clientWidth * ratio), h = Math.round(canvas.clientHeight * ratio);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const pw = Math.round(plots.clientWidth * ratio);
    if (plots.width !== pw) {
      plots.width = pw;
      plotCache = null;
    }
  }

  function drawScene() {
    const ep = current();
    const main = mainTrack(ep);
    const t = Math.min(Math.floor(view.t), main.n - 1);
    const showRef = hasSeparateReference(ep) && view.refMode !== "hidden";
    const ref = showRef ? referenceAt(ep, t) : null;
    let target = point(main.root, 3 * t, [0, 0, 0]);
    if (view.follow === "reference" && ref) target = point(ep.reference.root, 3 * ref.frame, ref.offset);
    setCamera(target);
    drawBackground();
    drawFloor(target);
    const items = [], shadows = [];
    const drawTrack = (track, frame, offset, colour) => {
      if (track.bodies) geomItems(track, frame, offset, colour, items, shadows);
      else markerItems(track, frame, offset, items, shadows);
    };
    // a clip viewed on its own is drawn in its own colours where it has bodies
    drawTrack(main, t, [0, 0, 0], ep.main ? null : REFERENCE_RGBA);
    if (ref) drawTrack(ep.reference, ref.frame, ref.offset, REFERENCE_RGBA);
    drawShadows(shadows);
    items.sort((a, b) => b.depth - a.depth);
    for (const item of items) item.draw();
    if (view.trails) {
      if (ref) drawTrails(ep.reference, ref.frame, ref.offset, 0.45);
      drawTrails(main, t, [0, 0, 0], 1);
    }
    if (view.arrows) {
      if (ref) drawPelvisArrows(ep.reference, ref.frame, ref.offset, 0.5);
      drawPelvisArrows(main, t, [0, 0, 0], 1);
    }
    return { t, ref };
  }

  function fmt(v, digits) {
    return v === null || v === undefined || Number.isNaN(v) ? "-" : v.toFixed(digits);
  }

  function updateText(t, ref) {
    const ep = current();
    const main = mainTrack(ep);
    const lines = [`t = ${(t * DATA.dt).toFixed(2)} s   step ${t} / ${main.n - 1}`];
    if (ep.scores) {
      lines.push(`D = ${fmt(ep.scores.d[t], 3)}   reward (${ep.scores.kind}) = ${fmt(ep.scores.reward[t], 3)}`);
    }
    if (ep.main && ep.main.envReward) lines.push(`env reward = ${fmt(ep.main.envReward[t], 3)}`);
    if (ref) lines.push(`reference step ${ref.frame} / ${ep.reference.n - 1}`);
    hud.textContent = lines.join("\n");
    frameLabel.textContent = `${(t * DATA.dt).toFixed(2)} s  (${t}/${main.n - 1})`;
    if (Number(timeline.value) !== t) timeline.value = String(t);
    document.body.dataset.frame = String(t);
  }

  // ---- plots ----------------------------------------------------------------------------------
  const plots = document.getElementById("plots");
  const pctx = plots.getContext("2d");
  let plotCache = null; // the curves, drawn once per episode and width

  function plotPanels(ep) {
    const main = mainTrack(ep);
    const panels = [];
    const refFeatures = ep.reference && ep.reference.features;
    const feats = ep.main ? ep.main.features : null;
    if (feats || refFeatures) {
      for (let s = 0; s < 6; s++) {
        const title = s < 5 ? `${SITE_LABELS[s + 1]} - pelvis (heights)` : "pelvis step, mean of last k (heights)";
        const series = [];
        for (let a = 0; a < 3; a++) {
          const col = 3 * s + a;
          if (feats) series.push({ values: column(feats, 18, col, main.n), colour: AXIS_COLOURS[a], dash: [] });
          if (refFeatures) series.push({ values: referenceColumn(ep, refFeatures, 18, col, main.n), colour: AXIS_COLOURS[a], dash: ep.main ? [5, 4] : [] });
        }
        panels.push({ title, series });
      }
    }
    const scoreSeries = (key) => {
      const series = [];
      if (ep.scores) series.push({ values: ep.scores[key], colour: "#333", dash: [] });
      if (ep.referenceScores) series.push({ values: referenceColumn(ep, ep.referenceScores[key], 1, 0, main.n), colour: "#3b6fd0", dash: [5, 4] });
      return series;
    };
    if (ep.scores || ep.referenceScores) {
      const kind = (ep.scores || ep.referenceScores).kind;
      panels.push({ title: "D = P(expert)", series: scoreSeries("d"), range: [0, 1] });
      panels.push({ title: `reward (${kind})`, series: scoreSeries("reward") });
    }
    if (ep.main && ep.main.envReward) {
      panels.push({ title: "environment reward", series: [{ values: ep.main.envReward, colour: "#333", dash: [] }] });
    }
    return panels;
  }

  function column(arr, width, col, n) {
    const out = new Float32Array(n);
    for (let t = 0; t < n; t++) out[t] = arr[t * width + col];
    return out;
  }

  // a reference series on the main track's time axis, looped as the view loops it
  function referenceColumn(ep, arr, width, col, n) {
    const rn = Math.min(ep.reference ? ep.reference.n : n, arr.length / width);
    const out = new Float32Array(n);
    for (let t = 0; t < n; t++) out[t] = arr[(hasSeparateReference(ep) ? t % rn : Math.min(t, rn - 1)) * width + col];
    return out;
  }

  const PLOT = { rowHeight: 120, columns: 3, pad: 8, top: 18, left: 44 };

  function layoutPlots(panels) {
    const ratio = window.devicePixelRatio || 1;
    const rows = Math.ceil(panels.length / PLOT.columns);
    const height = Math.round(rows * PLOT.rowHeight * ratio);
    plots.style.height = `${rows * PLOT.rowHeight}px`;
    plots.style.display = panels.length ? "block" : "none";
    if (plots.height !== height) plots.height = height;
    const w = plots.width / PLOT.columns;
    const h = PLOT.rowHeight * ratio;
    return panels.map((p, k) => {
      const x = (k % PLOT.columns) * w, y = Math.floor(k / PLOT.columns) * h;
      return { ...p, box: [x + PLOT.left * ratio, y + PLOT.top * ratio, w - (PLOT.left + PLOT.pad) * ratio, h - (PLOT.top + PLOT.pad + 10) * ratio] };
    });
  }

  function renderPlots(ep) {
    const ratio = window.devicePixelRatio || 1;
    const n = frames(ep);
    const panels = layoutPlots(plotPanels(ep));
    const off = document.createElement("canvas");
    off.width = plots.width;
    off.height = plots.height;
    const c = off.getContext("2d");
    c.fillStyle = "#fff";
    c.fillRect(0, 0, off.width, off.height);
    c.font = `${11 * ratio}px system-ui, sans-serif`;
    for (const p of panels) {
      const [x, y, w, h] = p.box;
      let lo = Infinity, hi = -Infinity;
      for (const s of p.series) for (const v of s.values) { if (v < lo) lo = v; if (v > hi) hi = v; }
      if (p.range) [lo, hi] = p.range;
      if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
      const padv = (hi - lo) * 0.06;
      lo -= padv; hi += padv;
      p.y = (v) => y + h - ((v - lo) / (hi - lo)) * h;
      c.strokeStyle = "#d5dae3";
      c.lineWidth = 1;
      c.strokeRect(x, y, w, h);
      c.fillStyle = "#1d2330";
      c.fillText(p.title, x, y - 5 * ratio);
      c.fillStyle = "#5b6474";
      c.textAlign = "right";
      c.fillText(fmt(hi - padv, 2), x - 4 * ratio, y + 9 * ratio);
      c.fillText(fmt(lo + padv, 2), x - 4 * ratio, y + h);
      c.textAlign = "left";
      if (lo < 0 && hi > 0) {
        c.strokeStyle = "#eef0f4";
        c.beginPath(); c.moveTo(x, p.y(0)); c.lineTo(x + w, p.y(0)); c.stroke();
      }
      c.save();
      c.beginPath(); c.rect(x, y, w, h); c.clip();
      c.lineWidth = 1.2 * ratio;
      for (const s of p.series) {
        c.strokeStyle = s.colour;
        c.setLineDash(s.dash.map((d) => d * ratio));
        c.beginPath();
        for (let t = 0; t < s.values.length; t++) {
          const px = x + (w * t) / Math.max(1, n - 1), py = p.y(s.values[t]);
          t ? c.lineTo(px, py) : c.moveTo(px, py);
        }
        c.stroke();
      }
      c.restore();
    }
    plotCache = { canvas: off, panels, episode: view.episode };
  }

  function drawPlots(t) {
    const ep = current();
    if (!plotCache || plotCache.episode !== view.episode) renderPlots(ep);
    if (!plotCache.panels.length) return;
    pctx.drawImage(plotCache.canvas, 0, 0);
    const n = frames(ep);
    pctx.strokeStyle = "rgba(194,24,91,0.8)";
    pctx.lineWidth = 1.5 * (window.devicePixelRatio || 1);
    for (const p of plotCache.panels) {
      const [x, y, w, h] = p.box;
      const px = x + (w * t) / Math.max(1, n - 1);
      pctx.beginPath(); pctx.moveTo(px, y); pctx.lineTo(px, y + h); pctx.stroke();
    }
  }

  // ---- page furniture -------------------------------------------------------------------------
  const hud = document.getElementById("hud");
  const frameLabel = document.getElementById("frame");
  const timeline = document.getElementById("timeline");
  const playButton = document.getElementById("play");

  function legend() {
    const ep = current();
    const rows = [];
    const swatch = (colour, text) => `<div><span class="sw" style="background:${colour}"></span>${text}</div>`;
    const policyColour = DATA.geoms.length ? rgb(DATA.geoms[0].rgba, 1, 1) : "#b99";
    if (ep.main) rows.push(swatch(policyColour, "policy"));
    if (ep.reference) rows.push(swatch(rgb(REFERENCE_RGBA, 1, 1), ep.reference.bodies ? "reference" : "reference (feature points)"));
    const inline = (colour, text) => `<span class="sw" style="background:${colour}"></span>${text} `;
    if (mainTrack(ep).sites) {
      rows.push("<div>trails: " + [1, 2, 3, 4, 5].map((s) => inline(SITE_COLOURS[s], SITE_LABELS[s])).join("") + "</div>");
      if (mainTrack(ep).heading) rows.push(swatch("#222a38", "pelvis heading"));
      rows.push(swatch("#c2185b", `pelvis velocity over the last ${DATA.history} steps (1 s of travel)`));
    }
    if ((ep.main && ep.main.features) || (ep.reference && ep.reference.features)) {
      rows.push("<div>plots: " + ["x (forward)", "y (left)", "z (up)"].map((t, a) => inline(AXIS_COLOURS[a], t)).join("") + "</div>");
      if (hasSeparateReference(ep)) rows.push("<div>policy solid, reference dashed</div>");
    }
    document.getElementById("legend").innerHTML = rows.join("");
  }

  function setupControls() {
    document.getElementById("title").textContent = DATA.title;
    document.getElementById("subtitle").textContent =
      `${DATA.envId}, control step ${(DATA.dt * 1000).toFixed(1)} ms` + (Object.keys(DATA.skipped).length ? `; not drawn: ${JSON.stringify(DATA.skipped)}` : "");
    const select = document.getElementById("episode");
    episodes.forEach((ep, k) => select.add(new Option(ep.label, String(k))));
    select.addEventListener("change", () => selectEpisode(Number(select.value)));
    playButton.addEventListener("click", () => setPlaying(!view.playing));
    document.getElementById("speed").addEventListener("change", (e) => (view.speed = Number(e.target.value)));
    timeline.addEventListener("input", () => { setPlaying(false); view.t = Number(timeline.value); });
    const refmode = document.getElementById("refmode");
    refmode.value = view.refMode;
    refmode.addEventListener("change", () => (view.refMode = refmode.value));
    document.getElementById("trails").addEventListener("change", (e) => (view.trails = e.target.checked));
    document.getElementById("arrows").addEventListener("change", (e) => (view.arrows = e.target.checked));
    const follow = document.getElementById("follow");
    follow.addEventListener("change", () => (view.follow = follow.value));
    // orbit by dragging, zoom by wheel, double click to reset
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY]; canvas.setPointerCapture(e.pointerId); canvas.style.cursor = "grabbing"; });
    canvas.addEventListener("pointerup", () => { drag = null; canvas.style.cursor = "grab"; });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      view.azimuth -= (e.clientX - drag[0]) * 0.008;
      view.elevation = Math.max(0.02, Math.min(1.5, view.elevation + (e.clientY - drag[1]) * 0.008));
      drag = [e.clientX, e.clientY];
    });
    canvas.addEventListener("wheel", (e) => { e.preventDefault(); view.distance = Math.max(1, Math.min(40, view.distance * Math.exp(e.deltaY * 0.001))); }, { passive: false });
    canvas.addEventListener("dblclick", () => { view.azimuth = -1.05; view.elevation = 0.22; view.distance = 4.2; });
    // click or drag on the plots to seek
    const seek = (e) => {
      if (!plotCache || !plotCache.panels.length) return;
      const ratio = window.devicePixelRatio || 1;
      const r = plots.getBoundingClientRect();
      const x = (e.clientX - r.left) * ratio;
      const p = plotCache.panels.find((q) => x >= q.box[0] - 2 && x <= q.box[0] + q.box[2] + 2) || plotCache.panels[0];
      const f = (x - p.box[0]) / p.box[2];
      setPlaying(false);
      view.t = Math.max(0, Math.min(frames(current()) - 1, Math.round(f * (frames(current()) - 1))));
    };
    plots.addEventListener("pointerdown", (e) => { seek(e); plots.setPointerCapture(e.pointerId); plots.onpointermove = seek; });
    plots.addEventListener("pointerup", () => (plots.onpointermove = null));
    window.addEventListener("keydown", (e) => {
      if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT" && e.target.type !== "range") return;
      const n = frames(current());
      if (e.key === " ") { setPlaying(!view.playing); e.preventDefault(); }
      else if (e.key === "ArrowRight") { setPlaying(false); view.t = Math.min(n - 1, Math.floor(view.t) + (e.shiftKey ? 10 : 1)); e.preventDefault(); }
      else if (e.key === "ArrowLeft") { setPlaying(false); view.t = Math.max(0, Math.floor(view.t) - (e.shiftKey ? 10 : 1)); e.preventDefault(); }
    });
    const overlay = episodes.some((ep) => mainTrack(ep).sites);
    document.getElementById("trails").parentElement.style.display = overlay ? "" : "none";
    document.getElementById("arrows").parentElement.style.display = overlay ? "" : "none";
    const refShown = episodes.some(hasSeparateReference);
    refmode.parentElement.style.display = refShown ? "" : "none";
    follow.parentElement.style.display = refShown ? "" : "none";
    document.getElementById("note").textContent =
      "Bodies from the MuJoCo model replayed at each recorded qpos. " +
      (refShown ? "A reference shorter than the episode loops; beside and overlaid keep its pelvis by the policy's, its own path lets it walk from the policy's start. " : "") +
      "Drag to orbit, wheel to zoom, double click to reset; space plays and pauses, arrow keys step. " +
      "URL hash: #t=STEP&ep=EPISODE&ref=beside|overlaid|path|hidden&az=RAD&el=RAD&dist=M&play=1.";
  }

  function selectEpisode(k) {
    view.episode = k;
    view.t = 0;
    timeline.max = String(frames(current()) - 1);
    document.getElementById("episode").value = String(k);
    plotCache = null;
    legend();
  }

  function setPlaying(on) {
    view.playing = on;
    playButton.textContent = on ? "Pause" : "Play";
  }

  function drawFrame() {
    resize();
    const { t, ref } = drawScene();
    drawPlots(t);
    updateText(t, ref);
  }

  // ---- start: state from the URL hash, then play ----------------------------------------------
  function readHash() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    if (params.has("ep")) selectEpisode(Math.max(0, Math.min(episodes.length - 1, Number(params.get("ep")) || 0)));
    if (params.has("t")) {
      setPlaying(params.get("play") === "1");
      view.t = Math.max(0, Math.min(frames(current()) - 1, Number(params.get("t")) || 0));
    }
    if (params.has("ref")) view.refMode = params.get("ref");
    for (const [key, name] of [["az", "azimuth"], ["el", "elevation"], ["dist", "distance"]]) {
      if (params.has(key) && Number.isFinite(Number(params.get(key)))) view[name] = Number(params.get(key));
    }
    document.getElementById("refmode").value = view.refMode;
  }

  // Redraws only when something shown changed, so that a paused page costs nothing.
  function stateKey() {
    const v = view;
    return [Math.floor(v.t), v.episode, v.refMode, v.trails, v.arrows, v.follow, v.azimuth, v.elevation, v.distance,
      canvas.clientWidth, canvas.clientHeight, plots.clientWidth, window.devicePixelRatio].join();
  }

  let last = null;
  let drawn = null;
  function tick(now) {
    if (view.playing && last !== null) {
      const n = frames(current());
      view.t += ((now - last) / 1000) * (view.speed / DATA.dt);
      if (view.t >= n) view.t = 0;
    }
    last = now;
    const key = stateKey();
    if (key !== drawn) {
      drawFrame();
      drawn = key;
    }
    requestAnimationFrame(tick);
  }

  // Draws every frame of the episode as fast as it can, reading a pixel back after each so
  // that the drawing is really done; returns milliseconds per frame (for the README's figures).
  function bench(count) {
    const n = Math.min(count || Infinity, frames(current()));
    const start = performance.now();
    for (let t = 0; t < n; t++) {
      view.t = t;
      drawFrame();
      ctx.getImageData(0, 0, 1, 1);
    }
    return (performance.now() - start) / n;
  }

  setupControls();
  selectEpisode(0);
  setPlaying(true);
  readHash();
  window.addEventListener("hashchange", readHash);
  drawFrame();
  legend();
  window.viewer = { view, bench, drawFrame, errors };
  document.body.dataset.ready = "1";
  requestAnimationFrame(tick);
})();
