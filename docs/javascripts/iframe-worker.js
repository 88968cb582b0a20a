// Search on a site opened from disk (file://), with no network: browsers refuse to start a Web
// Worker from a file:// URL, so there the search worker's script runs in a hidden frame of the
// page instead. The worker and the page talk through the two calls a worker has:
// postMessage and "message" events. Served over http(s), the browser's own Worker is used.
(function () {
  "use strict";
  if (window.location.protocol !== "file:") {
    return;
  }

  class FrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.pending = [];
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      document.body.appendChild(this.frame);
      const scope = this.frame.contentWindow;
      // What the worker posts arrives here as a "message" event, as from a real worker.
      scope.postMessage = (data) => {
        const event = new MessageEvent("message", { data: data });
        this.dispatchEvent(event);
        if (typeof this.onmessage === "function") {
          this.onmessage(event);
        }
      };
      const script = scope.document.createElement("script");
      script.src = new URL(url, window.location.href).href;
      script.onload = () => {
        this.scope = scope;
        this.pending.splice(0).forEach((data) => this.postMessage(data));
      };
      scope.document.head.appendChild(script);
    }

    postMessage(data) {
      if (this.scope === undefined) {
        this.pending.push(data);  // the script has not run yet: deliver once it has
        return;
      }
      const event = new this.scope.MessageEvent("message", { data: data });
      this.scope.dispatchEvent(event);
    }

    terminate() {
      this.frame.remove();
    }
  }

  window.Worker = FrameWorker;
})();
