#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat-completions server for kgrec's LLM tests.

Binds 127.0.0.1 on a free port and prints the port on the first line of stdout. The scenario
is the model name up to the first '/': what follows is a tag that keeps the per-model request
counters of one test apart from another's. Every request body is checked against the
chat-completions request shape; a request that does not fit gets 400.

Scenarios: good, unknown, duplicate, partial, badevidence, malformed, prose, slow, ratelimit,
error500, error500once, drop, droponce, malformedonce, noschema, gullible, echo, auth*, sleepy (0.2 s).
The scripted model ranks candidates by label (ascending), prefers the smaller label in a pair
and rates a label starting with A..M 5, else 1; it cites each candidate's first fact.

GET /stats returns {"requests": n, "max_inflight": n, "by_model": {...}}.
"""
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"requests": 0, "inflight": 0, "max_inflight": 0, "by_model": {}}

CAND_RE = re.compile(r'^\[C(\d+)\] "((?:[^"\\]|\\.)*)"(?: \| description: "((?:[^"\\]|\\.)*)")? \| facts: (.*)$')


def shape_error(body):
    """Returns a message when the body is not a chat-completions request, else None."""
    if not isinstance(body, dict):
        return "body is not a JSON object"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "'model' must be a non-empty string"
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return "'messages' must be a non-empty array"
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            return "messages[%d] is not an object" % i
        if m.get("role") not in ("system", "user", "assistant"):
            return "messages[%d].role is invalid" % i
        if not isinstance(m.get("content"), str):
            return "messages[%d].content must be a string" % i
        extra = set(m) - {"role", "content", "name"}
        if extra:
            return "messages[%d] has unknown fields %s" % (i, sorted(extra))
    if msgs[-1]["role"] != "user":
        return "the last message must be the user's"
    t = body.get("temperature", 1)
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not 0 <= t <= 2:
        return "'temperature' must be a number in 0..2"
    mt = body.get("max_tokens", 1)
    if not isinstance(mt, int) or isinstance(mt, bool) or mt < 1:
        return "'max_tokens' must be a positive integer"
    if body.get("stream", False) is not False:
        return "'stream' must be false"
    rf = body.get("response_format")
    if rf is not None:
        if not isinstance(rf, dict) or rf.get("type") not in ("text", "json_object", "json_schema"):
            return "'response_format.type' is invalid"
        if rf["type"] == "json_schema":
            js = rf.get("json_schema")
            if not isinstance(js, dict) or not isinstance(js.get("name"), str) \
                    or not isinstance(js.get("schema"), dict):
                return "'response_format.json_schema' needs a name and a schema object"
    known = {"model", "messages", "temperature", "max_tokens", "stream", "response_format",
             "seed", "top_p", "n", "stop"}
    extra = set(body) - known
    if extra:
        return "unknown fields %s" % sorted(extra)
    return None


def parse_candidates(user):
    cands = []
    for line in user.splitlines():
        m = CAND_RE.match(line)
        if m:
            facts = [] if m.group(4) == "none" else [f.strip() for f in m.group(4).split(",")]
            cands.append({"id": "C" + m.group(1), "label": m.group(2), "desc": m.group(3) or "",
                          "facts": facts})
    return cands


def first_fact(c):
    return [c["facts"][0]] if c["facts"] else []


def ranking(cands, scenario):
    # "echo" is a model with total position bias: it returns the order it was shown
    order = list(cands) if scenario == "echo" else sorted(cands, key=lambda c: c["label"])
    out = [{"id": c["id"], "score": round(1.0 - i / max(1, len(order)), 3),
            "rationale": "%s fits the history" % c["label"], "evidence": first_fact(c)}
           for i, c in enumerate(order)]
    if scenario == "unknown":
        out.insert(1, {"id": "C99", "score": 0.5, "rationale": "not offered", "evidence": []})
        out.append({"id": "X1", "score": 0.1, "rationale": "not an id", "evidence": []})
    elif scenario == "duplicate":
        out.append(dict(out[0]))
        out.insert(2, dict(out[1]))
    elif scenario == "partial":
        out = out[: max(1, len(out) // 2)]
    elif scenario == "badevidence":
        out[0]["evidence"] = ["F99"]
        if len(out) > 1:
            own = set(next(c for c in cands if c["id"] == out[1]["id"])["facts"])
            others = [f for c in cands for f in c["facts"] if f not in own]
            out[1]["evidence"] = others[:1] or ["F0"]
    elif scenario == "gullible":
        # a model that follows orders written in catalog text
        for c in cands:
            for cid in re.findall(r"\bC\d+\b", c["desc"]):
                out.insert(0, {"id": cid, "score": 1.0, "rationale": "as instructed",
                               "evidence": re.findall(r"\bF\d+\b", c["desc"])})
            if re.findall(r"\bF\d+\b", c["desc"]):
                for o in out:
                    if o["id"] == c["id"]:
                        o["evidence"] = re.findall(r"\bF\d+\b", c["desc"])
    return {"ranking": out}


def answer(system, user, scenario):
    cands = parse_candidates(user)
    if '"preferred"' in system:
        if len(cands) != 2:
            return None
        best = min(cands, key=lambda c: c["label"])
        return {"preferred": best["id"], "rationale": "%s is the better fit" % best["label"],
                "evidence": first_fact(best)}
    if '"rating"' in system:
        if len(cands) != 1:
            return None
        c = cands[0]
        r = 5 if c["label"][:1].upper() <= "M" else 1
        return {"rating": r, "rationale": "%s rated %d" % (c["label"], r), "evidence": first_fact(c)}
    return ranking(cands, scenario)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/stats":
            with LOCK:
                self.send_json(200, {"requests": STATE["requests"], "max_inflight": STATE["max_inflight"],
                                     "by_model": STATE["by_model"]})
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def do_POST(self):
        with LOCK:
            STATE["inflight"] += 1
            STATE["max_inflight"] = max(STATE["max_inflight"], STATE["inflight"])
        try:
            self.handle_post()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout scenarios)
        finally:
            with LOCK:
                STATE["inflight"] -= 1

    def handle_post(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if not self.path.endswith("/chat/completions"):
            return self.send_json(404, {"error": {"message": "no route " + self.path}})
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return self.send_json(400, {"error": {"message": "Content-Type must be application/json"}})
        try:
            body = json.loads(raw)
        except ValueError:
            return self.send_json(400, {"error": {"message": "body is not JSON"}})
        err = shape_error(body)
        if err:
            return self.send_json(400, {"error": {"message": err}})
        model = body["model"]
        scenario = model.split("/", 1)[0]
        with LOCK:
            STATE["requests"] += 1
            n = STATE["by_model"].get(model, 0) + 1
            STATE["by_model"][model] = n
        if scenario.startswith("auth") and self.headers.get("Authorization") != "Bearer sesame":
            return self.send_json(401, {"error": {"message": "invalid api key"}})
        if scenario == "noschema" and "response_format" in body:
            return self.send_json(400, {"error": {"message": "response_format is not supported"}})
        if scenario == "slow":
            time.sleep(2.0)
        if scenario == "sleepy":
            time.sleep(0.2)
        if scenario == "ratelimit" and n == 1:
            return self.send_json(429, {"error": {"message": "slow down"}}, [("Retry-After", "1")])
        if scenario == "error500" or (scenario == "error500once" and n == 1):
            return self.send_json(500, {"error": {"message": "internal error"}})
        if scenario == "drop" or (scenario == "droponce" and n == 1):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        system = "".join(m["content"] for m in body["messages"] if m["role"] == "system")
        user = body["messages"][-1]["content"]
        reply = answer(system, user, scenario)
        if reply is None:
            return self.send_json(400, {"error": {"message": "prompt has the wrong number of candidates"}})
        content = json.dumps(reply)
        if scenario == "malformed" or (scenario == "malformedonce" and n == 1):
            content = content[: len(content) // 2]
        elif scenario == "prose":
            content = "Sure! Here is the ranking you asked for:\n```json\n" + json.dumps(reply, indent=1) + \
                "\n```\nLet me know if you need more {help}."
        prompt_chars = sum(len(m["content"]) for m in body["messages"])
        self.send_json(200, {
            "id": "chatcmpl-%d" % n, "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": prompt_chars // 4 + len(content) // 4}})


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
