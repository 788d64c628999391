import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// Synthetic rows for the demo city's pools, so that the gateway, previews, quality runs and grading suggestions
/// have something real to work on. Every value comes from a fixed-seed generator: the same rows on every run and on
/// every machine, so that screenshots, tests and bug reports agree.
///
/// The people, companies and places are invented but well-formed: 身份证号码 with 六安 county codes, birth dates
/// matching 出生日期 and correct check digits (GB 11643); 统一社会信用代码 with valid organisation codes and check
/// characters (GB 32100); 行政区划代码 of the city's seven counties (GB/T 2260).
///
/// A small share of rows carries the defects real registers have, so that quality reports find something:
/// - 人口基础信息: 0.5 % ID numbers with a wrong check digit, 0.3 % 出生日期 disagreeing with the ID number,
///   0.3 % empty 户籍地址 (a required item), 0.3 % malformed 手机号码.
/// - 参保人员信息: about 80 % of the population, 1 % with one 姓名 character and 0.5 % with a 出生日期 that
///   differ from 公安's (for 多源比对).
/// - 企业登记信息: 0.5 % credit codes with a wrong check character, 0.5 % empty 住所 (required).
/// - 企业营业执照信息: one licence per active company plus `danglingLicences` whose credit code is in no register
///   (for the referential rule).
/// - 公交线路及站点信息: 1 % stops without coordinates. 人口出生统计信息: one row whose boys and girls do not add up.
package enum DemoPools {
    /// Rows per pool, by entry name; also what the tests expect.
    package static let people = 2_000
    package static let companies = 600
    package static let danglingLicences = 8

    /// Loads every demo pool and mounts it as a table; returns the row count by entry name.
    @discardableResult
    package static func load(into store: Store, entries: [String: Int64], authors: [String: ChangeAuthor]) async throws
        -> [String: Int64]
    {
        let data = generate()
        var counts: [String: Int64] = [:]
        for pool in data {
            guard let id = entries[pool.entry], let entry = try await store.catalog.find(id: id) else {
                throw DemoCatalog.DemoError(text: "no demo entry \(pool.entry) for its pool")
            }
            let items = entry.content.items
            let columns = items.map(\.columnName)
            let unknown = pool.columns.subtracting(columns)
            guard unknown.isEmpty else {
                throw DemoCatalog.DemoError(
                    text: "\(pool.entry) has no items \(unknown.sorted().joined(separator: ", "))")
            }
            let version = try await store.pools.beginVersion(
                entryID: id, columns: columns, types: ColumnType.of(items),
                keyColumns: entry.content.keyItems.map(\.columnName), copyingActive: false, expectedRows: 0,
                encrypting: try await store.columnsEncryptedAtRest(
                    entry.content, policy: try await GradePolicy.current(store)))
            var published = false
            do {
                try await store.pools.insert(
                    pool.rows.map { row in columns.map { row[$0] } }, into: version, replacingKeys: false)
                let active = try await store.pools.activate(version, keep: 3)
                published = true
                _ = try await store.catalog.setMount(
                    id: id, MountedResource(kind: .table, locator: active.tableName), recordCount: active.rowCount,
                    dataUpdatedAt: Date(),
                    author: authors[entry.provider.code] ?? ChangeAuthor(userID: nil, name: "演示数据"))
                counts[pool.entry] = active.rowCount
            } catch {
                // Once active, the version is what readers see: dropping it would lose the pool, not undo a load.
                if !published { try? await store.pools.abandon(version) }
                throw error
            }
        }
        return counts
    }

    /// One pool's rows, values by column name (a missing column is empty).
    package struct Pool {
        var entry: String
        var rows: [[String: String]]

        var columns: Set<String> { rows.reduce(into: Set()) { $0.formUnion($1.keys) } }
    }

    /// All demo pools, in loading order.
    package static func generate() -> [Pool] {
        let population = Population.generate()
        let register = CompanyRegister.generate(people: population)
        return [
            Pool(entry: "人口基础信息", rows: population.rows),
            Pool(entry: "参保人员信息", rows: insured(population, register)),
            Pool(entry: "企业登记信息", rows: register.rows),
            Pool(entry: "企业营业执照信息", rows: licences(register)),
            Pool(entry: "公交线路及站点信息", rows: busStops()),
            Pool(entry: "中小学校及幼儿园名录", rows: schools()),
            Pool(entry: "养老机构信息", rows: careHomes()),
            Pool(entry: "老年人口统计信息", rows: elderlyStatistics()),
            Pool(entry: "人口出生统计信息", rows: birthStatistics()),
        ]
    }
}

// MARK: - Randomness and places

/// SplitMix64: tiny, fast and fully specified, so a seed gives the same sequence everywhere (the standard library's
/// generators promise no such thing).
package struct DemoRandom {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func int(_ range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next().multipliedFullWidth(by: width).high)
    }

    /// True with probability `p`.
    package mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

    package mutating func pick<T>(_ list: [T]) -> T { list[int(0...(list.count - 1))] }

    package mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(int(0...9))) })
    }

    package mutating func date(from start: CalendarDate, to end: CalendarDate) -> CalendarDate {
        start.addingDays(int(0...max(0, end.dayNumber - start.dayNumber)))
    }
}

package enum DemoPlaces {
    package struct County {
        var code: String
        var name: String
        /// How its registers name it: districts with the city's name, counties without.
        var registryPrefix: String
        var towns: [String]
        /// Rough share of the city's population, for weighting.
        var weight: Int
        /// 户籍人口 around 2024, for the statistics.
        var population: Int
    }

    package static let counties: [County] = [
        County(
            code: "341502", name: "金安区", registryPrefix: "六安市金安区",
            towns: ["三里桥街道", "中市街道", "东市街道", "望城街道", "清水河街道", "木厂镇", "椿树镇", "孙岗镇"], weight: 14,
            population: 866_000),
        County(
            code: "341503", name: "裕安区", registryPrefix: "六安市裕安区",
            towns: ["鼓楼街道", "西市街道", "小华山街道", "苏埠镇", "韩摆渡镇", "新安镇", "固镇镇"], weight: 16,
            population: 972_000),
        County(
            code: "341504", name: "叶集区", registryPrefix: "六安市叶集区", towns: ["史河街道", "平岗街道", "三元镇", "孙岗镇"],
            weight: 4, population: 241_000),
        County(
            code: "341522", name: "霍邱县", registryPrefix: "霍邱县", towns: ["城关镇", "新店镇", "石店镇", "马店镇", "姚李镇", "孟集镇"],
            weight: 28, population: 1_652_000),
        County(
            code: "341523", name: "舒城县", registryPrefix: "舒城县", towns: ["城关镇", "千人桥镇", "杭埠镇", "干汊河镇", "桃溪镇"],
            weight: 17, population: 1_003_000),
        County(
            code: "341524", name: "金寨县", registryPrefix: "金寨县", towns: ["梅山镇", "天堂寨镇", "古碑镇", "斑竹园镇", "青山镇"],
            weight: 12, population: 681_000),
        County(
            code: "341525", name: "霍山县", registryPrefix: "霍山县", towns: ["衡山镇", "佛子岭镇", "下符桥镇", "与儿街镇", "诸佛庵镇"],
            weight: 9, population: 368_000),
    ]

    package static let roads = [
        "梅山路", "佛子岭路", "皖西路", "解放路", "人民路", "淠河路", "长江路", "龙河路", "寿春路", "云路街", "紫竹林路", "齐云路",
        "民主路", "健康路", "向阳路", "红石路", "大别山路", "文化路", "光明路", "振兴路", "迎宾大道", "朝阳路",
    ]
    package static let estates = ["阳光花园", "金色家园", "翡翠城", "幸福里", "锦绣华庭", "滨河小区", "东方名城", "碧桂园", "书香门第", "和平小区"]

    package static func county(_ random: inout DemoRandom) -> County {
        var roll = random.int(1...counties.reduce(0) { $0 + $1.weight })
        for county in counties {
            roll -= county.weight
            if roll <= 0 { return county }
        }
        return counties[0]
    }

    /// 安徽省六安市金安区三里桥街道梅山路128号阳光花园3栋502室
    package static func address(in county: County, _ random: inout DemoRandom, withFlat: Bool = true) -> String {
        var text = "安徽省六安市\(county.name)\(random.pick(county.towns))\(random.pick(roads))\(random.int(1...399))号"
        if withFlat && random.chance(0.6) {
            text +=
                "\(random.pick(estates))\(random.int(1...30))栋\(random.int(1...6))\(String(format: "%02d", random.int(1...4)))室"
        }
        return text
    }

    /// 0564 is 六安's area code.
    package static func landline(_ random: inout DemoRandom) -> String {
        "0564-\(random.int(2...8))\(random.digits(6))"
    }

    package static let mobilePrefixes = [
        "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157",
        "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
    ]

    package static func mobile(_ random: inout DemoRandom) -> String { random.pick(mobilePrefixes) + random.digits(8) }

    package static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛")
    package static let compoundSurnames = ["欧阳", "司马", "诸葛", "上官"]
    package static let maleGiven = Array("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海亮成峰")
    package static let femaleGiven = Array("芳娜敏静丽艳娟霞秀玲桂英红梅琳燕雪婷慧颖倩洁琴云莉兰萍凤佳欣怡悦晶")

    package static func name(male: Bool, _ random: inout DemoRandom) -> String {
        let surname = random.chance(0.01) ? random.pick(compoundSurnames) : String(random.pick(surnames))
        let given = male ? maleGiven : femaleGiven
        var name = surname + String(random.pick(given))
        if random.chance(0.7) { name += String(random.pick(given)) }
        return name
    }

    package static let usccAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    /// A valid 统一社会信用代码 of registry and category `prefix` (e.g. "91") in `region`, with an organisation code
    /// of the modern `MA` form and both check characters computed.
    package static func creditCode(_ prefix: String, region: String, _ random: inout DemoRandom) -> String {
        let body = "MA" + String((0..<6).map { _ in random.pick(usccAlphabet) })
        // The bodies are ASCII of the right length, so neither check can fail.
        let organisation = body + String((try? OrganizationCode.checkCharacter(forBody: body)) ?? "0")
        let first17 = prefix + region + organisation
        return first17 + String((try? UnifiedSocialCreditCode.checkCharacter(forFirst17: first17)) ?? "0")
    }

    /// `code` with its last character replaced by another of `alphabet`: a wrong check character.
    package static func corrupted(_ code: String, alphabet: [Character], _ random: inout DemoRandom) -> String {
        let last = code.last ?? "0"
        var other = random.pick(alphabet)
        while other == last { other = random.pick(alphabet) }
        return String(code.dropLast()) + String(other)
    }

    package static func money(_ random: inout DemoRandom, _ range: ClosedRange<Int>) -> String {
        "\(random.int(range)).\(random.int(0...9))0"
    }
}

// MARK: - 人口基础信息

package struct Person {
    package var id: String
    package var name: String
    package var male: Bool
    package var birth: CalendarDate
    package var county: DemoPlaces.County
    package var mobile: String?
}

package struct Population {
    package var people: [Person]
    package var rows: [[String: String]]

    /// The day the demo data describes; fixed so that the data never changes with the calendar.
    package static let asOf = CalendarDate(year: 2025, month: 6, day: 30)!

    package static func generate() -> Population {
        var random = DemoRandom(seed: 0x6C75_616E_0001)
        var people: [Person] = []
        var rows: [[String: String]] = []
        var ids = Set<String>()
        let earliest = CalendarDate(year: 1935, month: 1, day: 1)!
        let latest = CalendarDate(year: 2024, month: 12, day: 31)!
        while people.count < DemoPools.people {
            let county = DemoPlaces.county(&random)
            // Most people were born where they are registered; some moved within the city.
            let birthCounty = random.chance(0.9) ? county : random.pick(DemoPlaces.counties)
            let birth = random.date(from: earliest, to: latest)
            let male = random.chance(0.51)
            let sequence = random.int(0...499) * 2 + (male ? 1 : 0)
            let first17 = birthCounty.code + birth.compactText + String(format: "%03d", sequence)
            guard let check = try? ResidentIDNumber.checkCharacter(forFirst17: first17) else { continue }
            let id = first17 + String(check)
            guard ids.insert(id).inserted else { continue }
            let adult = asOf.year - birth.year >= 16
            let mobile = adult && random.chance(0.92) ? DemoPlaces.mobile(&random) : nil
            let person = Person(
                id: id, name: DemoPlaces.name(male: male, &random), male: male, birth: birth, county: county,
                mobile: mobile)
            people.append(person)
            let registered =
                birth.year >= 1985
                ? birth.addingDays(random.int(1...90))
                : random.date(from: CalendarDate(year: 1985, month: 7, day: 1)!, to: asOf)
            var row: [String: String] = [
                "sfzhm": id, "xm": person.name, "xb": male ? "1" : "2", "csrq": birth.description,
                "hjdz": DemoPlaces.address(in: county, &random), "xzqhdm": county.code,
                "djrq": registered.description,
            ]
            if let mobile { row["sjhm"] = mobile }
            if random.chance(0.005) {
                row["sfzhm"] = DemoPlaces.corrupted(id, alphabet: Array("0123456789X"), &random)
                if !ids.insert(row["sfzhm"] ?? "").inserted { row["sfzhm"] = id }
            } else if random.chance(0.003) {
                row["csrq"] = birth.addingDays(random.int(1...400)).description
            } else if random.chance(0.003) {
                row["hjdz"] = nil
            } else if mobile != nil && random.chance(0.003) {
                row["sjhm"] = String((mobile ?? "").dropLast())
            }
            rows.append(row)
        }
        return Population(people: people, rows: rows)
    }
}

// MARK: - 参保人员信息

extension DemoPools {
    package static func insured(_ population: Population, _ register: CompanyRegister) -> [[String: String]] {
        var random = DemoRandom(seed: 0x6C75_616E_0002)
        var rows: [[String: String]] = []
        let employers = register.companies.filter { $0.status == "存续" }
        for person in population.people where random.chance(0.8) {
            var name = person.name
            if random.chance(0.01) {
                // One character of the given name recorded differently by 人社.
                let given = person.male ? DemoPlaces.maleGiven : DemoPlaces.femaleGiven
                var other = random.pick(given)
                while other == name.last { other = random.pick(given) }
                name = String(name.dropLast()) + String(other)
            }
            var birth = person.birth
            if random.chance(0.005) { birth = birth.addingDays(random.pick([-365, -31, -1, 1, 30, 366])) }
            let age = Population.asOf.year - person.birth.year
            let sixteen = CalendarDate(year: person.birth.year + 16, month: 7, day: 1) ?? person.birth
            let since = max(sixteen, CalendarDate(year: 1995, month: 1, day: 1)!)
            var base: [String: String] = [
                "sfzhm": person.id, "xm": name, "xb": person.male ? "1" : "2", "csrq": birth.description,
                "cbdxzqhdm": person.county.code,
            ]
            if let mobile = person.mobile { base["lxdh"] = mobile }
            func status() -> String { random.chance(0.89) ? "1" : random.chance(0.7) ? "2" : "3" }
            if age < 16 {
                var row = base
                row["cbxz"] = "390"
                row["cbzt"] = "1"
                row["sccbrq"] = person.birth.addingDays(random.int(30...400)).description
                rows.append(row)
                continue
            }
            let employed = age <= 60 && random.chance(0.55) && !employers.isEmpty
            let employer = employed ? random.pick(employers) : nil
            let started = random.date(from: since, to: Population.asOf)
            for scheme in employed ? ["110", "310"] : ["170", "390"] {
                var row = base
                row["cbxz"] = scheme
                row["cbzt"] = status()
                row["sccbrq"] = started.description
                if let employer {
                    row["cbdwmc"] = employer.name
                    row["cbdwtyshxydm"] = employer.code
                    row["jfjs"] = DemoPlaces.money(&random, 3_800...15_000)
                }
                rows.append(row)
            }
        }
        return rows
    }
}

// MARK: - 企业登记信息 and 企业营业执照信息

package struct Company {
    package var code: String
    package var name: String
    package var kind: String
    package var representative: String
    package var capital: String
    package var founded: CalendarDate
    package var until: CalendarDate?
    package var authority: String
    package var scope: String
    package var address: String
    package var status: String
    package var approved: CalendarDate
}

package struct CompanyRegister {
    package var companies: [Company]
    package var rows: [[String: String]]

    package static let tradeNames = [
        "皖西", "金桥", "瑞丰", "鸿达", "华信", "恒源", "大别山", "淠河", "万佛", "徽源", "德盛", "兴安", "润泽", "嘉禾", "同创", "天成",
        "宏远", "聚力", "永安", "绿源", "茗香", "云雾", "东升", "博远", "信达", "安和", "庐州", "江淮", "金寨红", "霍山石斛",
    ]
    package static let industries: [(name: String, scope: String)] = [
        ("科技", "软件开发；信息技术咨询服务；计算机系统服务"), ("商贸", "日用百货、五金交电、建筑材料销售"),
        ("建筑工程", "房屋建筑工程、市政公用工程施工"), ("农业发展", "农作物种植；农产品初加工及销售"),
        ("食品", "食品生产；食品经营（销售预包装食品）"), ("物流", "普通货物道路运输；仓储服务（不含危险化学品）"),
        ("电子", "电子元器件制造与销售"), ("服装", "服装、服饰制造与销售"), ("医药", "药品零售；医疗器械经营"),
        ("茶业", "茶叶种植、加工及销售"), ("旅游开发", "旅游资源开发；旅行社服务"), ("机械制造", "通用设备制造；机械零部件加工"),
        ("新材料", "新型建筑材料制造与销售"), ("环保科技", "环保设备研发与销售；污水处理"), ("文化传媒", "广告设计、制作、发布；会议及展览服务"),
    ]
    package static let kinds = [
        "有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "股份有限公司（非上市、自然人投资或控股）", "个人独资企业",
        "有限责任公司（国有独资）",
    ]

    package static func generate(people population: Population) -> CompanyRegister {
        var random = DemoRandom(seed: 0x6C75_616E_0003)
        var companies: [Company] = []
        var rows: [[String: String]] = []
        var codes = Set<String>()
        var names = Set<String>()
        let adults = population.people.filter { Population.asOf.year - $0.birth.year >= 25 }
        while companies.count < DemoPools.companies {
            let county = DemoPlaces.county(&random)
            let code = DemoPlaces.creditCode("91", region: county.code, &random)
            let industry = random.pick(industries)
            let kind = random.pick(kinds)
            let suffix = kind.hasPrefix("股份") ? "股份有限公司" : kind == "个人独资企业" ? "经营部" : "有限公司"
            let name = "六安市\(random.pick(tradeNames))\(industry.name)\(suffix)"
            guard codes.insert(code).inserted, names.insert(name).inserted else { continue }
            let founded = random.date(
                from: CalendarDate(year: 1995, month: 1, day: 1)!, to: CalendarDate(year: 2024, month: 12, day: 31)!)
            let representative =
                random.chance(0.3) && !adults.isEmpty
                ? random.pick(adults).name : DemoPlaces.name(male: random.chance(0.7), &random)
            let roll = random.int(1...100)
            var company = Company(
                code: code, name: name, kind: kind, representative: representative,
                capital: "\(random.pick([10, 50, 100, 200, 300, 500, 1_000, 2_000, 5_000])).00", founded: founded,
                until: random.chance(0.6) ? nil : founded.addingDays(random.pick([20, 30]) * 365 + 7),
                authority: "\(county.registryPrefix)市场监督管理局", scope: industry.scope,
                address: DemoPlaces.address(in: county, &random, withFlat: false),
                status: roll <= 88 ? "存续" : roll <= 95 ? "注销" : roll <= 98 ? "吊销" : "迁出",
                approved: random.date(from: founded, to: Population.asOf))
            var row: [String: String] = [
                "tyshxydm": code, "qymc": name, "qylx": kind, "fddbr": representative, "zczb": company.capital,
                "clrq": founded.description, "yyqxz": founded.description, "djjg": company.authority,
                "jyfw": company.scope, "zs": company.address, "djzt": company.status,
                "hzrq": company.approved.description,
            ]
            if let until = company.until { row["yyqxzz"] = until.description }
            if random.chance(0.005) {
                let wrong = DemoPlaces.corrupted(code, alphabet: DemoPlaces.usccAlphabet, &random)
                // Registered wrongly, and so carried onto the licence: the identifier rule's find, not the
                // referential rule's.
                if codes.insert(wrong).inserted {
                    row["tyshxydm"] = wrong
                    company.code = wrong
                }
            } else if random.chance(0.005) {
                row["zs"] = nil
            }
            companies.append(company)
            rows.append(row)
        }
        return CompanyRegister(companies: companies, rows: rows)
    }
}

extension DemoPools {
    package static func licences(_ register: CompanyRegister) -> [[String: String]] {
        var random = DemoRandom(seed: 0x6C75_616E_0004)
        var rows: [[String: String]] = []
        var number = 0
        func licence(_ company: Company) -> [String: String] {
            number += 1
            return [
                "zzbh":
                    "\(company.code.dropFirst(2).prefix(6))\(company.founded.year)\(String(format: "%07d", number))",
                "tyshxydm": company.code, "mc": company.name, "lx": company.kind, "fddbr": company.representative,
                "zczb": company.capital, "clrq": company.founded.description,
                "yyqx": company.until.map { "\(company.founded)至\($0)" } ?? "\(company.founded)至长期",
                "jyfw": company.scope, "zs": company.address, "djjg": company.authority,
                "fzrq": company.approved.description,
            ]
        }
        for company in register.companies where company.status == "存续" { rows.append(licence(company)) }
        // Licences of companies the register does not hold (struck off and purged, or keyed in wrong): valid codes
        // that a referential check against 企业登记信息 must report.
        let known = Set(register.companies.map(\.code))
        var dangling = 0
        while dangling < danglingLicences {
            let county = random.pick(DemoPlaces.counties)
            var company = random.pick(register.companies)
            company.code = DemoPlaces.creditCode("91", region: county.code, &random)
            guard !known.contains(company.code) else { continue }
            company.name = "六安市\(random.pick(CompanyRegister.tradeNames))\(random.pick(["贸易", "实业", "置业"]))有限公司"
            rows.append(licence(company))
            dangling += 1
        }
        return rows
    }
}

// MARK: - Open data

extension DemoPools {
    package static func busStops() -> [[String: String]] {
        var random = DemoRandom(seed: 0x6C75_616E_0005)
        let landmarks = [
            "六安站", "市政府", "市人民医院", "皖西学院", "九墩塘", "汽车客运总站", "万达广场", "市体育中心", "鼓楼", "人民公园", "经济开发区",
            "市一中", "城北新区", "东方商城", "月亮岛", "六安职业技术学院", "市中医院", "高铁站", "淠河公园", "双塔寺",
        ]
        var rows: [[String: String]] = []
        for line in 1...30 {
            var longitude = 116.46 + Double(random.int(0...1_000)) / 10_000
            var latitude = 31.70 + Double(random.int(0...1_000)) / 10_000
            let first = random.pick(["05:50", "06:00", "06:15", "06:30"])
            let last = random.pick(["19:30", "20:00", "21:00", "21:30", "22:00"])
            let fare = line > 25 ? "2.00" : "1.00"
            for stop in 1...random.int(12...28) {
                let name =
                    random.chance(0.25)
                    ? random.pick(landmarks)
                    : "\(random.pick(DemoPlaces.roads))\(random.pick(["口", "东", "西", "南", "北", "中段"]))"
                longitude += Double(random.int(-30...60)) / 10_000
                latitude += Double(random.int(-30...60)) / 10_000
                var row: [String: String] = [
                    "xlbh": String(format: "LA%03d", line), "xlmc": "\(line)路", "zdxh": String(stop), "zdmc": name,
                    "sbsj": first, "mbsj": last, "pj": fare, "yydw": "六安市公共交通集团有限公司",
                ]
                if !random.chance(0.01) {
                    row["jd"] = String(format: "%.6f", longitude)
                    row["wd"] = String(format: "%.6f", latitude)
                }
                rows.append(row)
            }
        }
        return rows
    }

    package static func schools() -> [[String: String]] {
        var random = DemoRandom(seed: 0x6C75_616E_0006)
        var rows: [[String: String]] = []
        var names = Set<String>()
        var number = 0
        while rows.count < 300 {
            let county = DemoPlaces.county(&random)
            let town = random.pick(county.towns)
            let kind = random.pick(["幼儿园", "幼儿园", "小学", "小学", "小学", "初级中学", "九年一贯制学校", "高级中学", "完全中学"])
            let place = town.replacingOccurrences(of: "街道", with: "").replacingOccurrences(of: "镇", with: "")
            let name: String =
                switch kind {
                case "幼儿园": "\(county.name)\(place)\(random.pick(["中心", "第一", "第二", "阳光", "实验"]))幼儿园"
                case "小学": "\(county.name)\(place)\(random.pick(["中心", "第一", "第二", "实验", "希望"]))小学"
                case "初级中学": "\(county.name)\(place)初级中学"
                case "九年一贯制学校": "\(county.name)\(place)九年一贯制学校"
                case "高级中学": "\(county.name)第\(random.pick(["一", "二", "三", "四", "五"]))中学"
                default: "\(county.name)\(place)中学"
                }
            guard names.insert(name).inserted else { continue }
            number += 1
            let sponsor = random.chance(0.8) ? "教育部门" : random.chance(0.75) ? "民办" : "其他部门"
            rows.append([
                "xxbsm": "213415\(String(format: "%04d", number))", "xxmc": name, "bxlx": kind, "jbzlx": sponsor,
                "xxdz": DemoPlaces.address(in: county, &random, withFlat: false), "xzqhdm": county.code,
                "lxdh": DemoPlaces.landline(&random),
                "zsfw": kind == "高级中学" ? "\(county.name)全域统一招生" : "\(town)辖区内适龄儿童少年",
            ])
        }
        return rows
    }

    package static func careHomes() -> [[String: String]] {
        var random = DemoRandom(seed: 0x6C75_616E_0007)
        var rows: [[String: String]] = []
        var names = Set<String>()
        var codes = Set<String>()
        while rows.count < 60 {
            let county = DemoPlaces.county(&random)
            let town = random.pick(county.towns)
            let nature = random.pick(["公办", "公办", "民办", "公建民营"])
            let name =
                nature == "公办"
                ? "\(county.name)\(town)\(random.pick(["敬老院", "中心敬老院", "养老服务中心"]))"
                : "六安市\(random.pick(CompanyRegister.tradeNames))\(random.pick(["颐养院", "养老公寓", "康养中心", "老年公寓"]))"
            let code = DemoPlaces.creditCode(nature == "公办" ? "12" : "52", region: county.code, &random)
            guard names.insert(name).inserted, codes.insert(code).inserted else { continue }
            let beds = random.int(3...40) * 10
            rows.append([
                "tyshxydm": code, "jgmc": name, "jgxz": nature,
                "dz": DemoPlaces.address(in: county, &random, withFlat: false), "xzqhdm": county.code,
                "cws": String(beds), "hlxcws": String(beds * random.int(2...6) / 10),
                "szdx": random.pick(["自理、半自理老人", "自理、半自理、失能老人", "特困供养老人"]),
                "sfbz": "\(random.int(8...25) * 100)–\(random.int(26...45) * 100)元/月",
                "barq": random.date(
                    from: CalendarDate(year: 2015, month: 1, day: 1)!, to: CalendarDate(year: 2024, month: 12, day: 31)!
                ).description,
                "lxdh": DemoPlaces.landline(&random),
            ])
        }
        return rows
    }

    package static func elderlyStatistics() -> [[String: String]] {
        var random = DemoRandom(seed: 0x6C75_616E_0008)
        var rows: [[String: String]] = []
        for year in 2017...2024 {
            for county in DemoPlaces.counties {
                // Ageing grows about half a point a year; the mountain counties are older.
                let mountain = county.code == "341524" || county.code == "341525"
                let rate = 17.5 + Double(year - 2017) * 0.55 + (mountain ? 1.8 : 0) + Double(random.int(-30...30)) / 100
                let total = county.population - (2024 - year) * county.population / 200
                let over60 = Int(Double(total) * rate / 100)
                let over80 = over60 * random.int(14...17) / 100
                rows.append([
                    "tjnd": String(year), "xzqhdm": county.code, "qxmc": county.name, "lnrks60": String(over60),
                    "lnrks80": String(over80), "llhl": String(format: "%.2f", rate),
                ])
            }
        }
        return rows
    }

    package static func birthStatistics() -> [[String: String]] {
        var random = DemoRandom(seed: 0x6C75_616E_0009)
        var rows: [[String: String]] = []
        let city = DemoPlaces.County(
            code: "341500", name: "六安市", registryPrefix: "六安市", towns: [], weight: 0,
            population: DemoPlaces.counties.reduce(0) { $0 + $1.population })
        for year in 2015...2024 {
            // Births fell by about half between 2016 and 2024.
            let level = [1.00, 1.08, 1.02, 0.88, 0.80, 0.68, 0.60, 0.55, 0.50, 0.52][year - 2015]
            var sums = (births: 0, boys: 0)
            var yearRows: [[String: String]] = []
            for county in DemoPlaces.counties {
                let births = Int(Double(county.population) * 0.0125 * level) + random.int(-150...150)
                let boys = births * random.int(5_150...5_330) / 10_000
                sums.births += births
                sums.boys += boys
                yearRows.append(birthRow(year, county, births: births, boys: boys, &random))
            }
            yearRows.append(birthRow(year, city, births: sums.births, boys: sums.boys, &random))
            rows += yearRows
        }
        // A county's boys and girls that do not add up to its births, for the consistency rule to find.
        if let index = rows.firstIndex(where: { $0["tjnd"] == "2019" && $0["xzqhdm"] == "341504" }) {
            rows[index]["nvys"] = String((Int(rows[index]["nvys"] ?? "") ?? 0) + 100)
        }
        return rows
    }

    private static func birthRow(
        _ year: Int, _ county: DemoPlaces.County, births: Int, boys: Int, _ random: inout DemoRandom
    ) -> [String: String] {
        let girls = births - boys
        return [
            "tjnd": String(year), "xzqhdm": county.code, "xzqhmc": county.name, "csrks": String(births),
            "nys": String(boys), "nvys": String(girls),
            "csrkxbb": String(format: "%.2f", Double(boys) * 100 / Double(max(1, girls))),
            "ehjyscszb": String(format: "%.2f", 38 + Double(year - 2015) * 1.4 + Double(random.int(-200...200)) / 100),
            "zyfml": String(format: "%.2f", 99.5 + Double(random.int(0...49)) / 100),
        ]
    }
}
