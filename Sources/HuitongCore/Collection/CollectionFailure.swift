import Foundation

/// Why a source could not be tested, saved or collected, in words its provider can act on.
public enum CollectionFailure: HuitongError, Equatable {
    /// A run of the source is already under way (runs of one source never overlap).
    case alreadyRunning
    /// A run's node died or lost its claim; nothing of it was published.
    case interrupted
    /// The server refused the user name or password.
    case authenticationFailed
    /// The host could not be reached (refused, unreachable, silent) or its name does not resolve.
    case unreachable(host: String, port: Int)
    /// The source answered but refused what was asked (a missing table, a query it cannot run).
    case sourceRefused(String)
    /// The source has no rows: a whole read of an empty source would empty the pool, so nothing was published.
    case empty
    /// A file or folder on the node that cannot be read.
    case unreadablePath(String)
    /// The node has no sealing key, so no password can be kept or opened.
    case noSealingKey
    /// The sealed password does not open (another node's key, or altered).
    case secretUnavailable
    case disabled

    public var code: String {
        switch self {
        case .alreadyRunning: "collection_running"
        case .interrupted: "collection_interrupted"
        case .authenticationFailed: "source_authentication_failed"
        case .unreachable: "source_unreachable"
        case .sourceRefused: "source_refused"
        case .empty: "source_empty"
        case .unreadablePath: "source_path_unreadable"
        case .noSealingKey: "no_sealing_key"
        case .secretUnavailable: "source_secret_unavailable"
        case .disabled: "source_disabled"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .alreadyRunning, .disabled: .conflict
        case .noSealingKey, .secretUnavailable, .interrupted: .unavailable
        default: .unprocessable
        }
    }

    public var message: BilingualText {
        switch self {
        case .alreadyRunning:
            BilingualText(
                zh: "该归集源已有归集正在进行，请待其结束", en: "a run of this source is under way; wait for it to end")
        case .interrupted:
            BilingualText(
                zh: "归集中断（节点停止或失去任务），未发布任何数据，将重新归集",
                en: "the run was interrupted (its node stopped or lost the job); nothing was published")
        case .authenticationFailed:
            BilingualText(
                zh: "数据源拒绝了用户名、密码或密钥，请核对连接地址中的账号和密码或接口密钥",
                en: "the source refused the user name, password or key; check the account in the URL or the API key")
        case .unreachable(let host, let port):
            BilingualText(
                zh: "无法连接 \(host):\(port)：主机不可达、端口未开放或未及时响应",
                en: "cannot connect to \(host):\(port): the host is unreachable, the port closed, or it did not answer")
        case .sourceRefused(let reason):
            BilingualText(zh: "数据源拒绝了读取：\(reason)", en: "the source refused the read: \(reason)")
        case .empty:
            BilingualText(
                zh: "数据源没有任何行；整表同步会清空数据池，因此未发布任何数据",
                en: "the source holds no rows; a whole sync would empty the pool, so nothing was published")
        case .unreadablePath(let path):
            BilingualText(zh: "无法读取本节点上的路径 \(path)", en: "cannot read \(path) on this node")
        case .noSealingKey:
            BilingualText(
                zh: "本节点未配置密封密钥，无法保存或使用数据库密码",
                en: "this node has no sealing key, so database passwords cannot be kept or used")
        case .secretUnavailable:
            BilingualText(
                zh: "保存的密码无法解封（密封密钥已更换或数据被改动），请重新填写密码",
                en: "the saved password does not open (the sealing key changed or the data was altered); enter it again"
            )
        case .disabled:
            BilingualText(zh: "该归集源已停用", en: "the source is disabled")
        }
    }
}

/// A watermark value, as compared with the source's column.
public enum WatermarkValue: Sendable, Hashable {
    case integer(Int64)
    case time(Date)
}

extension SourceWatermark {
    /// What the next run reads from, given the highest value the last run saw: that value less the overlap.
    public func lowerBound(after stored: String?) -> WatermarkValue? {
        guard let stored, let value = value(of: stored) else { return nil }
        switch value {
        case .integer(let id):
            let (lowered, overflow) = id.subtractingReportingOverflow(overlap)
            return .integer(overflow ? Int64.min : lowered)
        case .time(let date): return .time(date.addingTimeInterval(-Double(overlap)))
        }
    }

    /// A value as kept on the source (an integer, or an ISO 8601 time in UTC), read back.
    public func value(of text: String) -> WatermarkValue? {
        switch kind {
        case .increasingID: Int64(text).map(WatermarkValue.integer)
        case .updateTime: Self.parseTime(text).map(WatermarkValue.time)
        }
    }

    /// How a value is kept: an integer as digits, a time as ISO 8601 in UTC with milliseconds.
    public static func text(of value: WatermarkValue) -> String {
        switch value {
        case .integer(let id): String(id)
        case .time(let date): date.formatted(Self.timeFormat)
        }
    }

    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// An ISO 8601 time, with or without fractional seconds, or SQLite's `YYYY-MM-DD HH:MM:SS[.SSS]` (taken as UTC).
    public static func parseTime(_ text: String) -> Date? {
        let normalised =
            text.count >= 19 && text.dropFirst(10).first == " "
            ? String(text.prefix(10)) + "T"
                + String(text.dropFirst(11)) : text
        for candidate in [normalised, normalised + "Z"] {
            if let date = try? Date(candidate, strategy: timeFormat) { return date }
            if let date = try? Date(candidate, strategy: Date.ISO8601FormatStyle(timeZone: .gmt)) { return date }
        }
        return nil
    }
}
