import Crypto
import Foundation
import HuitongCore
import HuitongCrypto
import Testing

@testable import HuitongServer
@testable import HuitongServices

@Suite("Gateway parts")
struct GatewayPartsTests {
    @Test("a bearer credential is read whatever the scheme's case, without surrounding spaces; other schemes are not")
    func bearerScheme() {
        #expect(AuthenticationMiddleware.bearerSecret("Bearer hts_abc") == "hts_abc")
        #expect(AuthenticationMiddleware.bearerSecret("bEARER   hts_abc \t") == "hts_abc")
        #expect(AuthenticationMiddleware.bearerSecret("Bearer ") == "")
        #expect(AuthenticationMiddleware.bearerSecret("Bearer") == nil)
        #expect(AuthenticationMiddleware.bearerSecret("Bearerhts_abc") == nil)
        #expect(AuthenticationMiddleware.bearerSecret("Basic aHRzOmFiYw==") == nil)
        #expect(AuthenticationMiddleware.bearerSecret("Bearer\u{0}hts_abc") == nil)
    }

    @Test("a grant's rate limit allows a second's burst, then refuses until tokens refill; the daily quota resets")
    func limits() async throws {
        let limiter = CallLimiter()
        let start = ContinuousClock.now
        let monday = Date(timeIntervalSince1970: 1_795_000_000)
        var outcomes: [CallLimiter.Outcome] = []
        for _ in 0..<4 {
            outcomes.append(try await limiter.take(grant: 1, perSecond: 3, perDay: nil, now: monday, instant: start))
        }
        #expect(outcomes == [.allowed, .allowed, .allowed, .rateLimited])
        #expect(
            try await limiter.take(
                grant: 1, perSecond: 3, perDay: nil, now: monday, instant: start + .milliseconds(400))
                == .allowed)
        #expect(
            try await limiter.take(grant: 2, perSecond: 3, perDay: nil, now: monday, instant: start) == .allowed,
            "grants count apart")

        #expect(try await limiter.take(grant: 3, perSecond: nil, perDay: 2, now: monday) == .allowed)
        #expect(try await limiter.take(grant: 3, perSecond: nil, perDay: 2, now: monday) == .allowed)
        #expect(try await limiter.take(grant: 3, perSecond: nil, perDay: 2, now: monday) == .quotaExhausted)
        #expect(
            try await limiter.take(grant: 3, perSecond: nil, perDay: 2, now: monday + 86_400) == .allowed, "a new day")
    }

    @Test(
        "extract rows carry a keyed watermark naming the grant; CSV formulas are neutralised, NDJSON is one object a line"
    )
    func extractEncoding() throws {
        let key = (0..<32).map { UInt8($0) }
        let mark = ExtractWatermark(
            grantID: 42, consumerDepartmentID: 7, extractID: "e1", authenticator: HMACSM3(key: key))
        #expect(mark.text.hasPrefix("G42-e1-") && mark.tag.count == 16)
        // Under 国密 the tag is HMAC-SM3; under intl HMAC-SHA256, as every watermark handed out before suites.
        let message = Array("huitong-extract-v1|42|7|e1".utf8)
        #expect(mark.tag == Hex.lowercase(HMACSM3(key: key).authenticationCode(for: message).prefix(8)))
        let intl = ExtractWatermark(
            grantID: 42, consumerDepartmentID: 7, extractID: "e1", authenticator: HMACSHA256Authenticator(key: key))
        #expect(
            intl.tag
                == Hex.lowercase(
                    HMAC<SHA256>.authenticationCode(for: Data(message), using: SymmetricKey(data: key)).prefix(8)))
        #expect(
            mark
                != ExtractWatermark(
                    grantID: 42, consumerDepartmentID: 8, extractID: "e1", authenticator: HMACSM3(key: key)))
        #expect(
            mark.tag
                != ExtractWatermark(
                    grantID: 42, consumerDepartmentID: 7, extractID: "e1",
                    authenticator: HMACSM3(key: Array(repeating: 7, count: 32))
                ).tag)

        var csv = ExtractEncoder(format: .csv, columns: ["xm", "bz"], types: [.text, .text], watermark: mark)
        let text = String(decoding: csv.header() + csv.encode([["张*", "=SUM(A1)"], [nil, "a,b"]]), as: UTF8.self)
        #expect(text == "\u{FEFF}xm,bz,_watermark\r\n张*,'=SUM(A1),\(mark.text)\r\n,\"a,b\",\(mark.text)\r\n")

        var ndjson = ExtractEncoder(format: .ndjson, columns: ["xm", "bz"], types: [.text, .text], watermark: mark)
        #expect(ndjson.header().isEmpty)
        let lines = String(decoding: ndjson.encode([["张*", "say \"hi\"\n"], [nil, "x"]]), as: UTF8.self)
            .split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONDecoder().decode(JSONValue.self, from: Data(lines[0].utf8))
        #expect(first["bz"] == "say \"hi\"\n" && first["_watermark"] == .string(mark.text))
        let second = try JSONDecoder().decode(JSONValue.self, from: Data(lines[1].utf8))
        #expect(second["xm"] == .null)
    }

    @Test("NDJSON extracts give numbers and booleans as JSON numbers and booleans, and masked ones as strings")
    func typedExtractValues() {
        let mark = ExtractWatermark(
            grantID: 1, consumerDepartmentID: 2, extractID: "e",
            authenticator: HMACSM3(key: Array(repeating: 1, count: 32)))
        var ndjson = ExtractEncoder(
            format: .ndjson, columns: ["nl", "je", "sfyx", "rq", "sr"],
            types: [.integer, .decimal, .boolean, .date, .decimal],
            watermark: mark)
        let line = String(
            decoding: ndjson.encode([["34", "1234567890.123456789", "true", "2024-01-31", "1***"]]), as: UTF8.self)
        #expect(
            line
                == #"{"nl":34,"je":1234567890.123456789,"sfyx":true,"rq":"2024-01-31","sr":"1***","_watermark":"\#(mark.text)"}\#n"#
        )
    }

    @Test("an upstream answer is read as records from an array or a wrapping object; anything else is refused")
    func upstreamAnswers() throws {
        let plain = try UpstreamClient.parse(Data(#"[{"xm":"张三","age":30,"ok":true,"tags":["a"],"x":null}]"#.utf8))
        let expected: [String: String?] = ["xm": "张三", "age": "30", "ok": "true", "tags": #"["a"]"#, "x": nil]
        #expect(plain == [expected])
        let wrapped = try UpstreamClient.parse(Data(#"{"code":0,"data":[{"xm":"李四"}]}"#.utf8))
        #expect(wrapped == [["xm": "李四"]])
        #expect(throws: GatewayError.self) { try UpstreamClient.parse(Data(#"{"code":500,"msg":"err"}"#.utf8)) }
        #expect(throws: GatewayError.self) { try UpstreamClient.parse(Data("<html>".utf8)) }
    }
}
