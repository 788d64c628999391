import Foundation
import HuitongCore

/// The subject areas (领域) the portal's "按主题浏览" offers, as open-data portals group datasets for citizens
/// (浙江、上海: 市场主体, 医疗卫生, 交通出行…) rather than by the 编制指南 classification (whose third branch names
/// departments). A dataset belongs to an area when it carries one of the area's keywords (关键字), which the
/// catalog search filters on; each area has a small icon drawn inline, so the page loads nothing else.
enum PortalSubjectArea: String, CaseIterable, Sendable {
    case market
    case population
    case health
    case welfare
    case transport
    case education
    case housing
    case land
    case government

    var label: BilingualText {
        switch self {
        case .market: BilingualText(zh: "市场主体", en: "Businesses")
        case .population: BilingualText(zh: "人口民生", en: "Population")
        case .health: BilingualText(zh: "医疗卫生", en: "Health")
        case .welfare: BilingualText(zh: "社会保障", en: "Social welfare")
        case .transport: BilingualText(zh: "交通出行", en: "Transport")
        case .education: BilingualText(zh: "教育文化", en: "Education")
        case .housing: BilingualText(zh: "城建住房", en: "Building and housing")
        case .land: BilingualText(zh: "自然资源", en: "Land and planning")
        case .government: BilingualText(zh: "政务服务", en: "Government services")
        }
    }

    /// The catalog keywords (关键字) that place a dataset in the area.
    var keywords: [String] {
        switch self {
        case .market: ["企业", "市场主体", "个体工商户", "个体户", "营业执照", "信用", "经营异常名录", "食品经营许可"]
        case .population: ["人口", "老年人口", "出生人口", "人口统计", "户籍"]
        case .health: ["医疗机构", "医院", "卫生院", "医师", "医生", "药店", "药品零售", "食品安全"]
        case .welfare: ["养老服务", "养老机构", "养老", "社会保障", "人力资源服务", "招聘", "社会组织", "就业"]
        case .transport: ["公交", "公共交通", "出行", "交通"]
        case .education: ["教育", "学校", "幼儿园", "招生", "文化"]
        case .housing: ["商品房", "房地产", "施工许可", "建筑业", "建设工程", "老旧小区改造", "城市更新", "住房"]
        case .land: ["国土空间规划", "土地供应", "土地出让", "用地", "规划许可", "自然资源"]
        case .government: ["一网通办", "政务服务事项", "办事指南", "好差评", "政务服务评价"]
        }
    }

    /// A 24 × 24 outline icon (stroke in the text colour), decorative: the area's name is written beside it.
    var icon: String {
        let paths: String =
            switch self {
            case .market:
                #"<path d="M3 9l1.5-5h15L21 9M3 9h18v2a3 3 0 0 1-6 0 3 3 0 0 1-6 0 3 3 0 0 1-6 0zM5 13v7h14v-7M10 20v-4h4v4"/>"#
            case .population:
                #"<circle cx="9" cy="8" r="3"/><path d="M3 20c0-3.3 2.7-6 6-6s6 2.7 6 6"/><circle cx="17" cy="9" r="2.5"/><path d="M16 14.2c2.8.4 5 2.8 5 5.8"/>"#
            case .health:
                #"<rect x="3" y="3" width="18" height="18" rx="3"/><path d="M12 7v10M7 12h10"/>"#
            case .welfare:
                #"<path d="M12 21s-7-4.5-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 11c0 5.5-7 10-7 10z"/>"#
            case .transport:
                #"<rect x="5" y="3" width="14" height="14" rx="2"/><path d="M5 11h14M8 20l1-3M16 20l-1-3"/><circle cx="8.5" cy="14" r="1"/><circle cx="15.5" cy="14" r="1"/>"#
            case .education:
                #"<path d="M2 9l10-5 10 5-10 5zM6 11v5c2 2 10 2 12 0v-5M22 9v6"/>"#
            case .housing:
                #"<path d="M3 11l9-7 9 7M5 10v10h14V10M10 20v-6h4v6"/>"#
            case .land:
                #"<path d="M3 20l6-11 4 6 3-4 5 9z"/><circle cx="17" cy="5" r="2"/>"#
            case .government:
                #"<path d="M3 21h18M4 10h16M12 3l9 5H3zM6 10v8M10 10v8M14 10v8M18 10v8"/>"#
            }
        return
            #"<svg class="area-icon" viewBox="0 0 24 24" width="32" height="32" aria-hidden="true" focusable="false" "#
            + #"fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">"#
            + paths + "</svg>"
    }
}
