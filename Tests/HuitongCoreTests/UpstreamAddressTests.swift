import Foundation
import HuitongCore
import Testing

@Suite("Upstream addresses")
struct UpstreamAddressTests {
    @Test(
        "every address is classed by what it reaches, IPv4 inside IPv6 by the IPv4 address it carries",
        arguments: [
            ("8.8.8.8", AddressClass.global),
            ("203.0.114.1", .global),
            ("127.0.0.1", .loopback),
            ("127.255.0.9", .loopback),
            ("10.1.2.3", .privateNetwork),
            ("172.16.0.1", .privateNetwork),
            ("172.31.255.255", .privateNetwork),
            ("172.32.0.1", .global),
            ("192.168.1.1", .privateNetwork),
            ("169.254.169.254", .linkLocal),
            ("0.0.0.0", .unspecified),
            ("0.1.2.3", .unspecified),
            ("224.0.0.1", .multicast),
            ("239.255.255.250", .multicast),
            ("255.255.255.255", .reserved),
            ("100.64.0.1", .reserved),
            ("192.0.2.1", .reserved),
            ("::1", .loopback),
            ("::", .unspecified),
            ("fe80::1", .linkLocal),
            ("febf::1", .linkLocal),
            ("fc00::1", .privateNetwork),
            ("fd12:3456::1", .privateNetwork),
            ("ff02::1", .multicast),
            ("::ffff:127.0.0.1", .loopback),
            ("::ffff:7f00:1", .loopback),
            ("::ffff:169.254.169.254", .linkLocal),
            ("::ffff:10.0.0.1", .privateNetwork),
            ("::ffff:8.8.8.8", .global),
            ("::127.0.0.1", .loopback),
            ("64:ff9b::a00:1", .privateNetwork),
            ("2002:7f00:1::", .loopback),
            ("2001:db8::1", .reserved),
            ("2400:3200::1", .global),
            ("[2400:3200::1]", .global),
        ])
    func classes(address: String, expected: AddressClass) throws {
        let parsed = try #require(IPAddress(address), "\(address) parses")
        #expect(parsed.addressClass == expected, "\(address)")
    }

    @Test(
        "a resolver's odd spellings of an address are read as it reads them",
        arguments: [
            ("2130706433", "127.0.0.1"),
            ("0x7f.1", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"),
            ("0177.0.0.1", "127.0.0.1"),
            ("127.1", "127.0.0.1"),
            ("127.0.1", "127.0.0.1"),
            ("0", "0.0.0.0"),
            ("3232235777", "192.168.1.1"),
            ("0xA9.0xFE.0xA9.0xFE", "169.254.169.254"),
            ("0177.0.0.1.", "127.0.0.1"),
        ])
    func oddSpellings(host: String, meaning: String) {
        #expect(IPAddress.lenient(host)?.description == meaning, "\(host)")
        #expect(IPAddress(host) == nil, "\(host) is not the usual spelling")
        #expect(UpstreamTarget.check(host: host, allowList: UpstreamAllowList()) == .oddSpelling)
    }

    @Test("host names, malformed numbers and too-large numbers are not addresses")
    func notAddresses() {
        for host in ["localhost", "gaj.example", "1e100.net", "0x.example", "256.0.0.1.2", "4294967296", "09.1.1.1"] {
            #expect(IPAddress.lenient(host) == nil, "\(host)")
        }
        for text in ["1.2.3", "01.2.3.4", "1.2.3.256", "::1::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "12345::", ":::"] {
            #expect(IPAddress(text) == nil, "\(text)")
        }
        #expect(IPAddress("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
    }

    @Test("at mount time a plain public address or any host name passes; local addresses need the allow-list")
    func mountCheck() throws {
        let empty = UpstreamAllowList()
        #expect(UpstreamTarget.check(host: "8.8.8.8", allowList: empty) == nil)
        #expect(UpstreamTarget.check(host: "gaj.example", allowList: empty) == nil)
        #expect(UpstreamTarget.check(host: "localhost", allowList: empty) == nil, "names are checked once resolved")
        let loopback = try #require(IPAddress("127.0.0.1"))
        #expect(UpstreamTarget.check(host: "127.0.0.1", allowList: empty) == .notPublic(loopback, .loopback))
        #expect(UpstreamTarget.check(host: "[::ffff:127.0.0.1]", allowList: empty) != nil)
        #expect(UpstreamTarget.check(host: "127.0.0.1.", allowList: empty) == .notPublic(loopback, .loopback))
        let allowed = try UpstreamAllowList.parse(["127.0.0.0/8", "qzj.gaj.example", "fd00::/8"])
        #expect(UpstreamTarget.check(host: "127.0.0.1", allowList: allowed) == nil)
        #expect(UpstreamTarget.check(host: "[fd00::5]", allowList: allowed) == nil)
        #expect(UpstreamTarget.check(host: "10.0.0.1", allowList: allowed) != nil)
        #expect(UpstreamTarget.check(host: "2130706433", allowList: allowed) == .oddSpelling, "spelling first")
    }

    @Test("at call time every resolved address must pass, and the chosen one is among those checked")
    func callCheck() throws {
        let empty = UpstreamAllowList()
        let public1 = try #require(IPAddress("8.8.8.8"))
        let loopback = try #require(IPAddress("127.0.0.1"))
        let metadata = try #require(IPAddress("169.254.169.254"))
        #expect(UpstreamTarget.choose(host: "api.example", resolved: [public1], allowList: empty) == .success(public1))
        #expect(
            UpstreamTarget.choose(host: "rebind.example", resolved: [public1, metadata], allowList: empty)
                == .failure(.notPublic(metadata, .linkLocal)))
        #expect(
            UpstreamTarget.choose(host: "localhost", resolved: [loopback], allowList: empty)
                == .failure(.notPublic(loopback, .loopback)))
        #expect(UpstreamTarget.choose(host: "nowhere.example", resolved: [], allowList: empty) == .failure(.unresolved))
        // An address literal is what it says, whatever a resolver answered.
        #expect(
            UpstreamTarget.choose(host: "0x7f.1", resolved: [public1], allowList: empty)
                == .failure(.notPublic(loopback, .loopback)))
        let byName = try UpstreamAllowList.parse(["LOCALHOST."])
        #expect(UpstreamTarget.choose(host: "localhost", resolved: [loopback], allowList: byName) == .success(loopback))
        let byNetwork = try UpstreamAllowList.parse(["127.0.0.1"])
        #expect(
            UpstreamTarget.choose(host: "localhost", resolved: [loopback], allowList: byNetwork) == .success(loopback))
    }

    @Test("allow-list lines are networks, addresses or host names; anything else is refused naming the line")
    func allowListLines() throws {
        let list = try UpstreamAllowList.parse([
            "10.20.0.0/16", " 192.168.1.5 ", "fd00::/8", "QZJ.Example.", "10.20.0.0/16",
        ])
        #expect(list.entries.map(\.description) == ["10.20.0.0/16", "192.168.1.5", "fd00::/8", "qzj.example"])
        #expect(list.allows(try #require(IPAddress("10.20.255.1"))))
        #expect(!list.allows(try #require(IPAddress("10.21.0.1"))))
        #expect(list.allows(host: "qzj.example"))
        for bad in ["10.0.0.0/33", "2130706433", "0x7f.1", "bad host", "-x.example", "http://x", "10.0.0.0/"] {
            let error = #expect(throws: ValidationError.self, "\(bad)") { try UpstreamAllowList.parse([bad]) }
            #expect(error?.issues.first?.message.contains(bad) == true)
        }
    }
}
