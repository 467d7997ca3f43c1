// The snippet generator (docs/how-to/snippet-generator.md). Everything runs in the page: the
// data (templates made from the tested examples, locations, rule metadata and the patterns of
// garauth's image-reference parser) is generator.json, exported at build time by
// docs/hooks/generator.py and loaded once; after that the page sends nothing anywhere.
(function () {
  "use strict";
  const form = document.getElementById("generator");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const FIELDS = ["project", "repository", "image", "ref", "account", "project_number", "pool", "provider"];

  fetch("generator.json").then((r) => r.json()).then(start);

  function start(data) {
    const full = (p) => new RegExp("^(?:" + p + ")$");
    const P = {
      component: full(data.patterns.component),
      tag: full(data.patterns.tag),
      project: full(data.patterns.project_id),
      digest: data.patterns.digest_hex,
    };
    for (const [key, p] of Object.entries(data.platforms)) $("g-platform").add(new Option(p.label, key));
    for (const loc of data.locations) $("g-location").add(new Option(`${loc.name} (${loc.group})`, loc.name));
    const ex = data.example_values;
    $("g-location").value = ex.location;
    for (const f of FIELDS) $("g-" + f).value = f === "ref" ? ex.ref.replace(/^[:@]/, "") : ex[f];

    function values() {
      const v = {platform: $("g-platform").value, credential: $("g-credential").value, location: $("g-location").value};
      for (const f of FIELDS) v[f] = $("g-" + f).value.trim();
      return v;
    }

    function reference(v) {
      const host = `${v.location}-docker.pkg.dev`;
      const path = [v.project, v.repository, v.image].filter((p) => p).join("/");
      const ref = !v.ref ? "" : /^[a-z0-9]+:/.test(v.ref) ? "@" + v.ref : ":" + v.ref;
      return {host, reference: `${host}/${path}${ref}`};
    }

    // The checks `garauth check` makes on these values, in the order its parser makes them
    // (one finding for the image reference at most), with the same patterns.
    function findings(v) {
      const out = [];
      const ref = () => {
        const parts = [["project", v.project], ["repository", v.repository]].filter(([, x]) => x);
        for (const piece of v.image.split("/")) parts.push(["image", piece]);
        const upper = parts.find(([, x]) => /[A-Z]/.test(x));
        if (upper) return ["GA201", upper[0]];
        const bad = parts.find(([, x]) => !P.component.test(x));
        if (bad) return ["GA201", bad[0]];
        if (v.ref) {
          const digest = v.ref.match(/^([a-z0-9]+):(.*)$/);
          if (digest ? !(digest[1] in P.digest && new RegExp(`^[0-9a-f]{${P.digest[digest[1]]}}$`).test(digest[2])) : !P.tag.test(v.ref))
            return ["GA201", "ref"];
        }
        if (!P.project.test(v.project)) return ["GA204", "project"];
        if (!v.repository) return ["GA205", "repository"];
        return null;
      };
      const r = ref();
      if (r) out.push(r);
      if (v.credential === "keyless") {
        if (!/^\d+$/.test(v.project_number)) out.push(["GA301", "project_number"]);
        if (v.provider.includes("/")) out.push(["GA302", "provider"]);
      }
      return out;
    }

    function render() {
      const platform = data.platforms[$("g-platform").value];
      for (const opt of $("g-credential").options) opt.disabled = !(opt.value in platform.credentials);
      if ($("g-credential").selectedOptions[0].disabled) $("g-credential").value = Object.keys(platform.credentials)[0];
      const v = values();
      $("g-keyless").hidden = v.credential !== "keyless";
      const filled = {...v, ...reference(v)};
      const text = platform.credentials[v.credential].template.replace(/\{\{(\w+)\}\}/g, (_, k) => filled[k]);
      $("generator-output").textContent = text;
      const found = findings(v);
      for (const f of FIELDS) $("g-" + f).removeAttribute("aria-invalid");
      const box = $("generator-findings");
      box.replaceChildren();
      for (const [id, field] of found) {
        const rule = data.rules[id];
        $("g-" + field).setAttribute("aria-invalid", "true");
        const p = document.createElement("p");
        p.className = "generator-finding";
        p.dataset.rule = id;
        const a = document.createElement("a");
        a.href = "../../" + rule.page;
        a.textContent = id;
        p.append(a, ` ${rule.name}: ${rule.summary} Fix: ${rule.fix}`);
        box.append(p);
      }
    }

    form.addEventListener("input", render);
    form.addEventListener("change", render);
    $("generator-copy").addEventListener("click", () => navigator.clipboard.writeText($("generator-output").textContent));
    render();
    form.dataset.ready = "true";
  }
})();
