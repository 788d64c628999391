import AsyncHTTPClient
import Foundation
import HuitongTestSupport
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A headless Chromium driven over the W3C WebDriver protocol (plain HTTP and JSON) through a chromedriver process
/// of its own, so that the browser tests need nothing beyond the Debian packages `chromium` and `chromium-driver`.
final class WebDriver: @unchecked Sendable {
    /// The installed chromedriver, if any: where Debian puts it, or on the PATH.
    static let chromedriver: String? = executable(named: "chromedriver", or: ["/usr/bin/chromedriver"])
    /// The browser chromedriver starts; Debian's chromedriver looks for it only under Google Chrome's names.
    static let chromium: String? = executable(
        named: "chromium", or: ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])
    static var isInstalled: Bool { chromedriver != nil && chromium != nil }

    /// Where screenshots of failed steps go; they are for reading a failure, never committed.
    static var failureDirectory: URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(
            ".build/browser-screenshots")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// An element found on the current page, by its WebDriver reference.
    struct Element: Sendable {
        let id: String
    }

    private let process: Process
    private let base: String
    private let session: String
    /// Names the screenshot saved when a step fails.
    let name: String

    private init(process: Process, base: String, session: String, name: String) {
        self.process = process
        self.base = base
        self.session = session
        self.name = name
    }

    /// Starts chromedriver on a free port and opens a headless browser session.
    static func start(name: String) async throws -> WebDriver {
        guard let chromedriver, let chromium else { throw Failure(description: "chromedriver or chromium missing") }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromedriver)
        process.arguments = ["--port=\(port)", "--log-level=OFF"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ChildProcess.launch(process)
        let base = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let status = try? await call(base, .GET, "/status", nil),
                (status["value"] as? [String: Any])?["ready"] as? Bool == true
            {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                            "--disable-dev-shm-usage", "--lang=zh-CN",
                        ],
                    ],
                ]
            ]
        ]
        do {
            let answer = try await call(base, .POST, "/session", capabilities)
            guard let session = (answer["value"] as? [String: Any])?["sessionId"] as? String else {
                throw Failure(description: "chromedriver opened no session: \(answer)")
            }
            return WebDriver(process: process, base: base, session: session, name: name)
        } catch {
            // chromedriver may ignore SIGTERM while its browser starts, and waitUntilExit would then spin for ever.
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw error
        }
    }

    /// Ends the session (closing the browser) and stops chromedriver.
    func quit() async {
        _ = try? await command(.DELETE, "")
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    // MARK: Navigation and elements

    func open(_ url: String) async throws {
        _ = try await command(.POST, "/url", ["url": url])
    }

    var currentURL: String {
        get async throws { try await command(.GET, "/url") as? String ?? "" }
    }

    /// The first element matching `selector`, waiting up to 60 s for it to appear (a busy CI machine).
    func element(_ selector: String) async throws -> Element {
        let deadline = Date().addingTimeInterval(60)
        var last: (any Error)?
        while Date() < deadline {
            do {
                let found = try await command(.POST, "/element", ["using": "css selector", "value": selector])
                if let object = found as? [String: Any], let id = object.values.first as? String {
                    return Element(id: id)
                }
            } catch {
                last = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "no element \(selector) on \(try await currentURL): \(last.map { "\($0)" } ?? "")")
    }

    func elements(_ selector: String) async throws -> [Element] {
        let found = try await command(.POST, "/elements", ["using": "css selector", "value": selector])
        return (found as? [[String: Any]] ?? []).compactMap { ($0.values.first as? String).map(Element.init) }
    }

    func click(_ selector: String) async throws {
        let element = try await element(selector)
        _ = try await command(.POST, "/element/\(element.id)/click", [:])
    }

    /// Clears a field and types `text` into it.
    func type(_ text: String, into selector: String) async throws {
        let element = try await element(selector)
        _ = try await command(.POST, "/element/\(element.id)/clear", [:])
        _ = try await command(.POST, "/element/\(element.id)/value", ["text": text])
    }

    /// Chooses a file for a file field, as picking it in the dialog would (a file field cannot be cleared first).
    func attach(_ file: URL, to selector: String) async throws {
        let element = try await element(selector)
        _ = try await command(.POST, "/element/\(element.id)/value", ["text": file.path])
    }

    func text(_ selector: String) async throws -> String {
        try await text(of: try await element(selector))
    }

    func text(of element: Element) async throws -> String {
        try await command(.GET, "/element/\(element.id)/text") as? String ?? ""
    }

    func attribute(_ name: String, of selector: String) async throws -> String? {
        let element = try await element(selector)
        return try await command(.GET, "/element/\(element.id)/attribute/\(name)") as? String
    }

    /// Waits up to 60 s for the page's address to satisfy `check` (after a form posts and redirects).
    func waitForURL(_ what: String, _ check: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(60)
        var url = ""
        while Date() < deadline {
            url = try await currentURL
            if check(url) { return url }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "the page did not reach \(what); it is at \(url)")
    }

    /// The page as a PNG.
    func screenshot() async throws -> Data {
        guard let encoded = try await command(.GET, "/screenshot") as? String, let data = Data(base64Encoded: encoded)
        else { throw Failure(description: "chromedriver sent no screenshot") }
        return data
    }

    func saveScreenshot(to file: URL) async throws {
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await screenshot().write(to: file)
    }

    /// Saves what the browser shows, for reading a failed step.
    func saveFailureScreenshot(_ step: String) async {
        let file = Self.failureDirectory.appendingPathComponent("\(name)-\(step).png")
        if (try? await saveScreenshot(to: file)) != nil {
            print("browser screenshot of the failure: \(file.path)")
        }
    }

    /// Runs `body`, saving a screenshot when it throws.
    func step<Result>(_ step: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            await saveFailureScreenshot(step)
            throw error
        }
    }

    /// Records an issue and saves a screenshot when `condition` is false.
    func check(
        _ condition: Bool, _ comment: @autoclosure () -> String, step: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        guard !condition else { return }
        Issue.record("\(comment())", sourceLocation: sourceLocation)
        await saveFailureScreenshot(step)
    }

    // MARK: Protocol

    fileprivate func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.call(base, method, "/session/\(session)\(path)", body)["value"] ?? nil
    }

    /// One WebDriver request; a WebDriver error (its `value.error`) is thrown with its message.
    private static func call(_ base: String, _ method: HTTPMethod, _ path: String, _ body: [String: Any]?)
        async throws -> [String: Any]
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        if let body { request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
        if let value = json["value"] as? [String: Any], let error = value["error"] as? String {
            throw Failure(description: "\(method) \(path): \(error): \(value["message"] as? String ?? "")")
        }
        guard response.status == .ok else {
            throw Failure(description: "\(method) \(path): HTTP \(response.status.code) \(String(buffer: buffer))")
        }
        return json
    }

    private static func executable(named name: String, or paths: [String]) -> String? {
        let searched = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map {
            "\($0)/\(name)"
        }
        return (paths + searched).first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension WebDriver {
    func click(_ element: Element) async throws {
        _ = try await command(.POST, "/element/\(element.id)/click", [:])
    }

    /// Forgets every cookie of the site, as signing out would, so that the next person signs in afresh.
    func deleteCookies() async throws {
        _ = try await command(.DELETE, "/cookie")
    }

    /// Signs in through the login page as a person would, and waits for the console.
    func signIn(_ base: String, _ username: String, _ password: String) async throws {
        try await deleteCookies()
        try await open(base + "/login")
        try await type(username, into: "#username")
        try await type(password, into: "#password")
        try await click("form button[type=submit]")
        _ = try await waitForURL("the console after signing in as \(username)") { $0.contains("/console") }
    }
}

extension WebDriver {
    func attribute(_ name: String, of element: Element) async throws -> String? {
        try await command(.GET, "/element/\(element.id)/attribute/\(name)") as? String
    }
}

extension WebDriver {
    /// Runs `script` in the page (its `return` value comes back as JSON).
    func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": script, "args": arguments])
    }

    /// Resizes the browser window (390 × 844 is a phone).
    func setWindowSize(width: Int, height: Int) async throws {
        _ = try await command(.POST, "/window/rect", ["width": width, "height": height])
    }

    /// Whether the element matching `selector` lies within the first screen (the viewport before any scrolling).
    func isInFirstScreen(_ selector: String) async throws -> Bool {
        _ = try await element(selector)
        let answer = try await execute(
            """
            window.scrollTo(0, 0);
            const box = document.querySelector(arguments[0]).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
            """, [selector])
        return answer as? Bool ?? false
    }

    /// Whether a checkbox or radio button is ticked.
    func isSelected(_ selector: String) async throws -> Bool {
        let element = try await element(selector)
        return try await command(.GET, "/element/\(element.id)/selected") as? Bool ?? false
    }

    /// Lays pages out `width` CSS pixels wide, as a phone of that width would (Chrome's device emulation).
    func emulateViewport(width: Int, height: Int) async throws {
        _ = try await command(
            .POST, "/goog/cdp/execute",
            [
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": true],
            ])
    }
}
