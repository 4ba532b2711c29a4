package densitylab.serve;

import densitylab.nn.ModelFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real headless Chromium driven through the DevTools protocol over the JDK's WebSocket client: navigate, set a file
 * input's files (what a user's choice or drop does), evaluate script, take a screenshot.
 */
final class Chromium implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    Chromium() throws Exception {
        profile = Files.createTempDirectory("densitylab-chromium");
        process = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--remote-debugging-port=0", "--window-size=1200,1400", "--user-data-dir=" + profile, "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String browserWs = null;
        BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (String line; browserWs == null && System.nanoTime() < deadline && (line = err.readLine()) != null; ) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                browserWs = m.group(1);
            }
        }
        if (browserWs == null) {
            process.destroyForcibly();
            throw new IOException("chromium did not open its DevTools port");
        }
        Thread drain = new Thread(() -> err.lines().forEach(l -> { }), "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        URI base = URI.create(browserWs.replaceFirst("^ws://", "http://").replaceFirst("/devtools/.*$", ""));
        String pageWs = null;
        for (int attempt = 0; pageWs == null && attempt < 50; attempt++) {
            String list = Fixtures.get(base + "/json/list").body();
            for (JsonNode t : ModelFiles.JSON.readTree(list)) {
                if ("page".equals(t.path("type").asText())) {
                    pageWs = t.path("webSocketDebuggerUrl").asText();
                }
            }
            if (pageWs == null) {
                Thread.sleep(100);
            }
        }
        socket = Fixtures.HTTP.newWebSocketBuilder().buildAsync(URI.create(pageWs), new WebSocket.Listener() {
            private final StringBuilder message = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                message.append(data);
                if (last) {
                    try {
                        JsonNode j = ModelFiles.JSON.readTree(message.toString());
                        CompletableFuture<JsonNode> f = j.has("id") ? pending.remove(j.get("id").asInt()) : null;
                        if (f != null) {
                            f.complete(j);
                        }
                    } catch (IOException e) {
                        // not a reply we wait for
                    }
                    message.setLength(0);
                }
                ws.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
    }

    /** Sends a DevTools command and returns its result, or fails with its error. */
    JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ObjectNode msg = ModelFiles.JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", ModelFiles.JSON.valueToTree(params));
        socket.sendText(ModelFiles.JSON.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
        JsonNode reply = f.get(60, TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IOException(method + ": " + reply.get("error"));
        }
        return reply.get("result");
    }

    /** Loads a page and waits until the document has loaded. */
    void open(String url) throws Exception {
        call("Page.navigate", Map.of("url", url));
        waitFor("document.readyState === 'complete' && location.href.startsWith('" + url + "')", 30);
    }

    /** The value of a script expression. */
    JsonNode eval(String expression) throws Exception {
        return call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true)).path("result").path("value");
    }

    /** Waits until a script expression is true. */
    void waitFor(String expression, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!eval(expression).asBoolean(false)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + expression);
            }
            Thread.sleep(50);
        }
    }

    /** Sets a file input's files, as choosing them in its dialog does (the input fires its change event). */
    void chooseFile(String selector, Path file) throws Exception {
        int root = call("DOM.getDocument", Map.of()).path("root").path("nodeId").asInt();
        int node = call("DOM.querySelector", Map.of("nodeId", root, "selector", selector)).path("nodeId").asInt();
        if (node == 0) {
            throw new AssertionError("no element " + selector + " on the page");
        }
        call("DOM.setFileInputFiles", Map.of("nodeId", node, "files", java.util.List.of(file.toAbsolutePath().toString())));
    }

    /** A PNG screenshot of the page as laid out. */
    byte[] screenshot() throws Exception {
        return java.util.Base64.getDecoder().decode(call("Page.captureScreenshot", Map.of("format", "png")).path("data").asText());
    }

    @Override
    public void close() throws IOException {
        try {
            socket.abort();
        } finally {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // the browser's helper processes may still be writing the profile for a moment after it exits
            for (int attempt = 0; attempt < 20; attempt++) {
                try {
                    densitylab.io.Trees.delete(profile);
                    break;
                } catch (IOException | java.io.UncheckedIOException e) { // a file vanished while the walk listed it
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
    }
}
