// The resident's pass must show at the gate even without a signal: "My pass" and what it needs
// are kept in the Cache API; the network is tried first, so a renewed pass replaces the old.
"use strict";
const CACHE = "office-pass-v1";
const KEEP = ["/office/me", "/office/static/office.css", "/office/static/office.js",
  "/office/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEEP)).catch(() => null));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !KEEP.includes(url.pathname)) return;
  event.respondWith(
    fetch(event.request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(event.request, copy));
      }
      return response;
    }).catch(() => caches.match(event.request).then((hit) => hit || Response.error()))
  );
});
