import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// One language per page: each persona signs in over the demo city, follows every console link it is shown (a few
/// pages of each kind), posts the forms most likely to fail (`Persona.probes`), and every page it reaches must
/// show no raw locale key (`console_nav_quality_hint`) and, in Chinese, no English words in its messages
/// ("信息资源摘要不能为空 (abstract is required)").
///
/// To cover another role, add a `Persona`: its demo username and the failing forms worth posting as it.
@Suite("One language per page")
struct LanguageCrawlTests {
    /// A form posted on purpose with problems, to see the messages it comes back with.
    struct Probe: Sendable {
        var path: String
        var form: String
    }

    struct Persona: Sendable {
        var username: String
        /// The failing forms to post, found over the demo's data.
        var probes: @Sendable (Store) async throws -> [Probe]
    }

    static let personas: [String: Persona] = [
        // A provider officer alone (公安局 李强).
        "gaj.provider": Persona(username: "gaj.provider") { _ in
            [
                Probe(
                    path: "/console/entries", form: "name=&abstract=&classificationCode=1&item_name_0=x&item_column_0=X"
                )
            ]
        },
        // The operator (数据主管部门).
        "admin": Persona(username: "admin") { _ in [] },
        // A consumer officer alone (公安局 王芳).
        "gaj.consumer": Persona(username: "gaj.consumer") { store in
            let marriage = try await ConsoleTests.entry(store, "婚姻登记信息")
            return [
                // Everything wrong at once: no items, no texts, bad dates and calls.
                Probe(
                    path: "/console/apply/\(marriage.id)",
                    form: "purpose=administrativeBasis&purposeText=&legalBasis=&scenario=&channel=api"
                        + "&validFrom=2025-13-01&validTo=&expectedDailyCalls=many&action=submit"),
                Probe(path: "/console/systems", form: "name=&description="),
            ]
        },
        // A provider and consumer (民政局 赵磊), who has 住建局's application for 婚姻登记信息 to decide.
        "mzj.officer": Persona(username: "mzj.officer") { store in
            let marriage = try await ConsoleTests.entry(store, "婚姻登记信息")
            let waiting = try await store.applications.list(.all, state: .providerReview)
                .filter { $0.resourceCode == marriage.code.text }
            return [
                Probe(path: "/console/entries", form: "name=&abstract=&item_name_0=&item_column_0=")
            ]
                + waiting.prefix(1).map { application in
                    // A refusal without its reason or explanation.
                    Probe(
                        path: "/console/applications/\(application.id)/decision",
                        form: "kind=refuse&refusalReason=&comment=&grantItemsShown=1")
                }
        },
    ]

    @Test(
        "a persona's console pages and failed forms show no raw locale key and no English in Chinese messages",
        arguments: ["gaj.consumer", "mzj.officer", "gaj.provider", "admin"])
    func crawl(_ username: String) async throws {
        let persona = try #require(Self.personas[username])
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let browser = try await ConsoleTests.signIn(persona.username, passwords, client)
            var problems: [String] = []
            let pages = try await Self.crawl(browser, client) { path, html in
                problems += Self.problems(in: html, at: path)
            }
            #expect(pages > 5, "the crawl reached \(pages) pages")
            for probe in try await persona.probes(store) {
                let (status, html, _) = try await ConsoleTests.post(probe.path, probe.form, browser, client)
                #expect(status == .badRequest, "\(probe.path) fails as intended")
                #expect(html.contains("field-error") || html.contains("error-summary"), "\(probe.path) says why")
                problems += Self.problems(in: html, at: "POST " + probe.path)
            }
            // The same pages in English: no raw key, and no Chinese in their messages and labels.
            let english = ConsoleTests.Browser(cookie: browser.cookie + "; huitong_lang=en", csrf: browser.csrf)
            var inEnglish = 0
            let englishPages = try await Self.crawl(english, client) { path, html in
                if html.contains(#"<html lang="en""#) { inEnglish += 1 }
                problems += Self.problems(in: html, at: "en " + path)
            }
            #expect(englishPages > 5 && inEnglish == englishPages, "\(inEnglish) of \(englishPages) pages in English")
            #expect(problems.isEmpty, "\(persona.username): \(problems.joined(separator: "\n"))")
        }
    }

    /// Follows the console links from `/console` as `browser` (three pages of each kind, 120 at most) and hands
    /// each page to `visit`; the number of pages read.
    static func crawl(
        _ browser: ConsoleTests.Browser, _ client: some TestClientProtocol, visit: (String, String) -> Void
    ) async throws -> Int {
        var queue = ["/console"]
        var seen: Set<String> = []
        var perPattern: [String: Int] = [:]
        var pages = 0
        while !queue.isEmpty && pages < 120 {
            let path = queue.removeFirst()
            guard seen.insert(path).inserted else { continue }
            let pattern = path.replacingOccurrences(of: #"\d+"#, with: "N", options: .regularExpression)
            guard perPattern[pattern, default: 0] < 3 else { continue }
            perPattern[pattern, default: 0] += 1
            let (status, html) = try await ConsoleTests.get(path, browser, client)
            guard status == .ok, html.contains("<html") else { continue }
            pages += 1
            visit(path, html)
            queue += links(in: html).filter { !seen.contains($0) }
        }
        return pages
    }

    @Test("every console section's tile has its hint in each language, so no home page shows a raw key")
    func sectionHints() async throws {
        let pages = try await PageRenderer.load()
        for section in ConsolePages.allSections.dropFirst() {
            for language in Language.allCases {
                #expect(pages.catalogues[language]?[section.key + "_hint"] != nil, "\(section.key)_hint in \(language)")
            }
        }
    }

    @Test("an error summary lists the problems in the order of the form's fields")
    func summaryInFormOrder() async throws {
        let pages = try await PageRenderer.load()
        let order = pages.fieldOrder(.consoleApply)
        #expect(Array(order.prefix(3)) == ["items", "purpose", "purposeText"])
        var errors = FieldErrors()
        errors.add("validTo", "b")
        errors.add("purposeText", "a")
        errors.add("entryID", "d")
        errors.add("items", "c")
        #expect(errors.list(order: order).map(\.field) == ["items", "purposeText", "validTo", "entryID"])
        #expect(
            PageRenderer.fieldOrder(
                of: #"<input id="field-name"><div id="field-items[{{row}}]"><p id="field-comment-{{id}}">"#)
                == ["name", "items", "comment"])
    }

    @Test("the checks catch what they look for")
    func checksCatch() {
        let page = { (main: String) in
            #"<html lang="zh-CN"><body><header class="site">Huitong</header><main id="main">"# + main
                + "</main></body></html>"
        }
        #expect(
            !Self.problems(in: page("<p class=\"field-error\">信息资源摘要不能为空 (abstract is required)</p>"), at: "x").isEmpty)
        #expect(!Self.problems(in: page("<a>console_nav_quality_hint</a>"), at: "x").isEmpty)
        #expect(!Self.problems(in: page("<span>denied</span> no_grant"), at: "x").isEmpty)
        #expect(
            Self.problems(in: page("<p>请上传 CSV 或 XLSX 文件</p><td>gaj.consumer</td><code>sfzhm</code>"), at: "x").isEmpty)
        #expect(Self.problems(in: page("<p>名称 <span class=\"code\">jgmc</span></p>"), at: "x").isEmpty)
        let english = { (main: String) in #"<html lang="en"><body><main id="main">"# + main + "</main></body></html>" }
        #expect(!Self.problems(in: english(#"<p class="field-error">请填写整数</p>"#), at: "x").isEmpty)
        #expect(!Self.problems(in: english("<th>状态</th>"), at: "x").isEmpty)
        #expect(Self.problems(in: english("<th>State</th><td>已同意</td><h1>养老服务机构名录</h1>"), at: "x").isEmpty)
    }

    // MARK: Reading pages

    /// Console and quality links of a page, once each, except switches, downloads and signing out.
    static func links(in html: String) -> [String] {
        var found: [String] = []
        for match in html.matches(of: /href="(\/(?:console|quality)[^"#]*)"/) {
            let link = String(match.1).replacingOccurrences(of: "&amp;", with: "&")
            if link.contains("lang=") || link.contains("refresh=") || link.contains("/download")
                || link.hasSuffix(".csv") || link.hasSuffix(".xlsx") || link.contains("/export")
            {
                continue
            }
            if !found.contains(link) { found.append(link) }
        }
        return found
    }

    /// What a page shows that is not in its own language: raw locale keys anywhere, English words in a Chinese
    /// page's messages. Codes marked as codes (`<code>`, `<pre>`, `.code`) and stored values (`td.data`) are left alone.
    static func problems(in html: String, at path: String) -> [String] {
        guard let start = html.range(of: #"<main id="main">"#), let end = html.range(of: "</main>") else {
            return []
        }
        var main = String(html[start.upperBound..<end.lowerBound])
        for element in [
            #"(?s)<script\b.*?</script>"#, #"(?s)<pre\b.*?</pre>"#, #"(?s)<code\b.*?</code>"#,
            #"<span class="code">[^<]*</span>"#, #"(?s)<textarea\b.*?</textarea>"#,
            // Values a page shows as they are stored (a catalog diff's before and after): data, not messages.
            #"(?s)<td class="data">.*?</td>"#,
        ] {
            main = main.replacingOccurrences(of: element, with: " ", options: [.regularExpression])
        }
        var problems: [String] = []
        let everything = text(of: main)
        for match in everything.matches(of: /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/) {
            problems.append("\(path): raw key or code “\(match.0)”")
        }
        guard html.contains(#"<html lang="zh-CN""#) else {
            // An English page's labels and messages (its data may well be Chinese): form labels other than a
            // choice's, legends, headings of columns, buttons, and the notices and errors it says.
            let pattern =
                #"(?s)<(label|legend|th|button|summary)\b(?![^>]*class="check")[^>]*>(.*?)</\1>|<p class="(?:error|field-error|notice|empty)"[^>]*>(.*?)</p>"#
            let regex = try? NSRegularExpression(pattern: pattern)
            let range = NSRange(main.startIndex..., in: main)
            for match in regex?.matches(in: main, range: range) ?? [] {
                for group in [2, 3] {
                    guard let part = Range(match.range(at: group), in: main) else { continue }
                    let label = text(of: String(main[part]))
                    if label.unicodeScalars.contains(where: { (0x4E00...0x9FFF).contains($0.value) }) {
                        problems.append("\(path): Chinese in an English label or message “\(label)”")
                    }
                }
            }
            return problems
        }
        // Messages and labels: everything but the data in table cells and description values.
        var messages = main
        for element in [
            #"(?s)<td\b.*?</td>"#, #"(?s)<dd\b.*?</dd>"#, #"<option\b[^>]*value="[^"]*"[^>]*>[^<]*</option>"#,
        ] {
            messages = messages.replacingOccurrences(of: element, with: " ", options: [.regularExpression])
        }
        for match in text(of: messages).matches(of: /[A-Za-z][A-Za-z'-]*[a-z][A-Za-z'-]*/) {
            let word = String(match.0)
            if allowedWords.contains(word) { continue }
            problems.append("\(path): English “\(word)” in “\(context(of: match.range, in: text(of: messages)))”")
        }
        return problems
    }

    /// Names a Chinese page may carry as they are: formats, protocols and the product's own name.
    static let allowedWords: Set<String> = [
        "Huitong", "English", "Bearer", "Authorization", "curl", "Excel", "JSON", "HTTP", "HTTPS", "Cron", "cron",
        "WAL", "Merkle", "SQLite", "PostgreSQL", "MySQL", "KingbaseES", "Redoc",
    ]

    static func text(of html: String) -> String {
        html.replacingOccurrences(of: #"<[^>]+>"#, with: " ", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
    }

    static func context(of range: Range<String.Index>, in text: String) -> String {
        let from = text.index(range.lowerBound, offsetBy: -30, limitedBy: text.startIndex) ?? text.startIndex
        let to = text.index(range.upperBound, offsetBy: 30, limitedBy: text.endIndex) ?? text.endIndex
        return String(text[from..<to])
    }
}
