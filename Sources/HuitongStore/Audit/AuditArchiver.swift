import Foundation
import HuitongCore
import HuitongCrypto

/// Why archiving or pruning stopped. Nothing is half-done: a file is written under a temporary name and renamed
/// only once it verified, and a month is registered only then.
public enum AuditArchiveRunError: HuitongError, Hashable {
    /// The month has not ended yet.
    case monthOpen(String)
    /// The month's last entries are under no signed checkpoint yet, so nothing vouches for them.
    case monthUnsigned(String)
    /// The live log did not verify on the way: the entries are not archived (and so can never be pruned).
    case logInvalid(month: String, AuditVerificationFailure)
    /// The file written did not verify when read back.
    case fileInvalid(path: String, AuditArchiveError)
    case fileExists(String)
    /// Another run archived the month at the same time.
    case busy(String)
    case io(path: String, reason: BilingualText)

    public var code: String {
        switch self {
        case .monthOpen: "audit_archive_month_open"
        case .monthUnsigned: "audit_archive_month_unsigned"
        case .logInvalid(_, let failure): failure.code
        case .fileInvalid: "audit_archive_invalid"
        case .fileExists: "audit_archive_exists"
        case .busy: "audit_archive_busy"
        case .io: "audit_archive_io"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .monthOpen, .monthUnsigned, .fileExists, .busy: .conflict
        case .logInvalid, .fileInvalid: .conflict
        case .io: .unavailable
        }
    }

    public var message: BilingualText {
        switch self {
        case .monthOpen(let month):
            BilingualText(zh: "\(month) 尚未结束，不能归档", en: "\(month) has not ended yet and cannot be archived")
        case .monthUnsigned(let month):
            BilingualText(
                zh: "\(month) 的最后几条审计条目之后还没有签名检查点，请等下一个检查点后再归档",
                en:
                    "no signed checkpoint follows the last entries of \(month) yet; archive it after the next checkpoint"
            )
        case .logInvalid(let month, let failure):
            BilingualText(
                zh: "归档 \(month) 时审计日志校验失败：\(failure.message.zh)",
                en: "the audit log failed verification while archiving \(month): \(failure.message.en)")
        case .fileInvalid(let path, let error):
            BilingualText(
                zh: "写出的归档文件 \(path) 校验失败：\(error.message.zh)",
                en: "the archive written to \(path) failed verification: \(error.message.en)")
        case .fileExists(let path):
            BilingualText(
                zh: "归档文件 \(path) 已存在，未覆盖", en: "the archive file \(path) exists already and was not overwritten")
        case .busy(let month):
            BilingualText(
                zh: "另一次归档同时处理了 \(month)，本次未登记；请查看归档登记后再运行",
                en:
                    "another run archived \(month) at the same time; this one registered nothing — check the register and run again"
            )
        case .io(let path, let reason):
            BilingualText(zh: "无法读写 \(path)：\(reason.zh)", en: "cannot read or write \(path): \(reason.en)")
        }
    }
}

/// Archives closed months of the audit log to files (`AuditArchive`), verifies them, and prunes the live log of
/// months archived and verified longer ago than the retention.
public struct AuditArchiver: Sendable {
    public typealias Repository = AuditLogRepository & AuditArchiveRepository

    let repository: any Repository
    /// Signs the checkpoint at a month's last entry when the log has none there.
    let checkpointKey: SigningPrivateKey
    let trustedKeys: [SigningPublicKey]
    let directory: URL
    let pageSize: Int

    public init(
        repository: any Repository, checkpointKey: SigningPrivateKey, trustedKeys: [SigningPublicKey],
        directory: URL, pageSize: Int = 5_000
    ) {
        self.repository = repository
        self.checkpointKey = checkpointKey
        self.trustedKeys =
            trustedKeys.contains(checkpointKey.publicKey)
            ? trustedKeys : trustedKeys + [checkpointKey.publicKey]
        self.directory = directory
        self.pageSize = max(1, pageSize)
    }

    /// The file a month is archived to.
    public static func fileName(_ month: AuditMonth) -> String { "audit-\(month).ndjson" }

    /// Archives every month not archived yet, in order, through `through` (which must have ended by `now`).
    /// Returns the months archived by this run.
    /// `progress` hears, page by page, the month being written and the entries written of it and in all.
    public func archive(
        through: AuditMonth, now: Date = Date(),
        progress: (@Sendable (_ month: AuditMonth, _ written: Int64, _ total: Int64) -> Void)? = nil
    ) async throws -> [AuditArchiveRecord] {
        guard through.endMicroseconds <= AuditEvent.microseconds(now) else {
            throw AuditArchiveRunError.monthOpen(through.description)
        }
        let done = try await repository.archives()
        var start = done.last?.end ?? AuditChain()
        var month: AuditMonth
        if let last = done.last {
            month = last.month.next
        } else {
            guard let first = try await repository.records(after: 0, through: Int64.max, limit: 1).first else {
                return []
            }
            guard case .entry(let entry) = first else {
                throw AuditArchiveRunError.logInvalid(
                    month: "-", AuditVerificationFailure(sequence: first.sequence, reason: .edited))
            }
            month = AuditCalendar.month(microseconds: entry.event.timeMicroseconds)
        }
        let head = try await repository.head()
        var made: [AuditArchiveRecord] = []
        while month <= through {
            let stamped = try await repository.lastSequence(before: month.endMicroseconds)
            let last = min(max(stamped, start.sequence), head.sequence)
            let record = try await archive(month, from: start, through: last, now: now, progress: progress)
            do {
                try await repository.record(record)
            } catch {
                if try await repository.archives().contains(where: { $0.month == month }) {
                    throw AuditArchiveRunError.busy(month.description)
                }
                throw error
            }
            made.append(record)
            start = record.end
            month = month.next
        }
        return made
    }

    private func archive(
        _ month: AuditMonth, from start: AuditChain, through last: Int64, now: Date,
        progress: (@Sendable (AuditMonth, Int64, Int64) -> Void)?
    ) async throws -> AuditArchiveRecord {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = Self.fileName(month)
        let final = directory.appendingPathComponent(name)
        // Each run writes a temporary file of its own, so two runs never write into one file.
        let partial = directory.appendingPathComponent("\(name).\(UUID().uuidString).part")
        if FileManager.default.fileExists(atPath: final.path) {
            // A run that died between renaming its file and registering the month left it: a file that verifies and
            // holds exactly this month's entries is registered as it is; anything else is refused, never replaced.
            if let summary = try? Self.verify(file: final, trustedKeys: trustedKeys),
                summary.start == start, summary.end.sequence == last, summary.month == month.description
            {
                return AuditArchiveRecord(
                    month: month, start: start, end: summary.end, fileName: name, archivedAt: now, verifiedAt: now)
            }
            throw AuditArchiveRunError.fileExists(final.path)
        }
        _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: partial.path) else {
            throw AuditArchiveRunError.io(path: partial.path, reason: BilingualText(zh: "无法创建", en: "cannot create it"))
        }
        var buffer: [UInt8] = []
        func flush(_ force: Bool = false) throws {
            guard force || buffer.count > 1 << 20 else { return }
            try handle.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        do {
            buffer += AuditArchive.headerLine(AuditArchive.Header(month: month, start: start, lastSequence: last))
            var verifier = AuditVerifier(trustedKeys: trustedKeys, from: start)
            // The month's checkpoints, each written right after the entry it reaches.
            var checkpoints = try await repository.checkpoints(after: start.sequence, through: last, limit: .max)
            checkpoints.reverse()
            var cursor = start.sequence
            do {
                for checkpoint in checkpoints.reversed() { try verifier.add(checkpoint) }
                while cursor < last {
                    let page = try await repository.records(after: cursor, through: last, limit: pageSize)
                    guard !page.isEmpty else { break }
                    for record in page {
                        switch record {
                        case .entry(let entry):
                            try verifier.check(entry)
                            buffer += AuditArchive.entryLine(entry)
                            while let next = checkpoints.last, next.treeSize == entry.sequence {
                                buffer += AuditArchive.checkpointLine(next)
                                checkpoints.removeLast()
                            }
                        case .unreadable(let sequence, _):
                            try verifier.checkUnreadable(sequence: sequence)
                        }
                    }
                    cursor = page.last?.sequence ?? last
                    try flush()
                    progress?(month, cursor - start.sequence, last - start.sequence)
                }
                _ = try verifier.finish(recordedHead: last)
            } catch let failure as AuditVerificationFailure {
                throw AuditArchiveRunError.logInvalid(month: month.description, failure)
            }
            let end = verifier.state
            // Every archive ends under a signature: sign the month's last entry unless a checkpoint is there. The
            // node signs only what a signature already vouches for: the entries after the month, up to the next
            // stored checkpoint, are verified first (not archived), so an entry edited and re-hashed since its
            // checkpoint is never signed afresh.
            if end.sequence > start.sequence,
                try await repository.checkpoints(after: end.sequence - 1, through: end.sequence, limit: 1).isEmpty
            {
                guard let next = try await repository.checkpoints(after: end.sequence, through: .max, limit: 1).first
                else { throw AuditArchiveRunError.monthUnsigned(month.description) }
                var onward = verifier
                var reached = end.sequence
                do {
                    try onward.add(next)
                    while reached < next.treeSize {
                        let page = try await repository.records(after: reached, through: next.treeSize, limit: pageSize)
                        guard !page.isEmpty else { break }
                        for record in page {
                            switch record {
                            case .entry(let entry): try onward.check(entry)
                            case .unreadable(let sequence, _): try onward.checkUnreadable(sequence: sequence)
                            }
                        }
                        reached = page.last?.sequence ?? next.treeSize
                    }
                    _ = try onward.finish(recordedHead: next.treeSize)
                } catch let failure as AuditVerificationFailure {
                    throw AuditArchiveRunError.logInvalid(month: month.description, failure)
                }
                let checkpoint = try AuditCheckpoint.sign(end, time: now, with: checkpointKey)
                if try await repository.save(checkpoint) {
                    buffer += AuditArchive.checkpointLine(checkpoint)
                } else if let stored = try await repository.checkpoints(
                    after: end.sequence - 1, through: end.sequence, limit: 1
                ).first {
                    buffer += AuditArchive.checkpointLine(stored)
                }
            }
            let endLine = AuditArchive.End(end, entries: end.sequence - start.sequence)
            buffer += AuditArchive.endLine(endLine)
            buffer += AuditArchive.sealLine(
                try AuditArchive.Seal.sign(
                    AuditArchive.Header(month: month, start: start, lastSequence: last), endLine, with: checkpointKey))
            try flush(true)
            try handle.synchronize()
            try handle.close()
            let summary: AuditArchiveSummary
            do {
                summary = try Self.verify(file: partial, trustedKeys: trustedKeys)
            } catch let error as AuditArchiveError {
                throw AuditArchiveRunError.fileInvalid(path: partial.path, error)
            }
            guard summary.start == start, summary.end == end else {
                throw AuditArchiveRunError.fileInvalid(path: partial.path, .endMismatch(lastSequence: end.sequence))
            }
            try FileManager.default.moveItem(at: partial, to: final)
            return AuditArchiveRecord(
                month: month, start: start, end: end, fileName: name, archivedAt: now, verifiedAt: now)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
    }

    /// Prunes the entries of archived and verified months that ended more than `retentionMonths` months before
    /// the month of `now`. Returns the months pruned.
    public func prune(retentionMonths: Int, now: Date = Date()) async throws -> [AuditArchiveRecord] {
        let current = AuditCalendar.month(microseconds: AuditEvent.microseconds(now))
        let oldestKept = current.minus(months: max(0, retentionMonths))
        var prunable: [AuditArchiveRecord] = []
        for archive in try await repository.archives() {
            guard archive.month < oldestKept, archive.verifiedAt != nil else { break }
            if archive.prunedAt == nil { prunable.append(archive) }
        }
        // Each month's file is read back and verified again now, from this node's archive folder, before its entries
        // go: a file lost or damaged since it was written keeps its entries in the log. Pruning stops at the first
        // month whose file does not verify, so what is pruned stays one unbroken run from the oldest.
        var verified: [AuditArchiveRecord] = []
        for archive in prunable {
            let file = directory.appendingPathComponent(archive.fileName)
            let summary: AuditArchiveSummary
            do {
                summary = try Self.verify(file: file, trustedKeys: trustedKeys)
            } catch let error as AuditArchiveError {
                if verified.isEmpty { throw AuditArchiveRunError.fileInvalid(path: file.path, error) }
                break
            } catch {
                if verified.isEmpty { throw error }
                break
            }
            guard summary.start == archive.start, summary.end == archive.end else {
                if verified.isEmpty {
                    throw AuditArchiveRunError.fileInvalid(
                        path: file.path, .endMismatch(lastSequence: archive.end.sequence))
                }
                break
            }
            verified.append(archive)
        }
        guard let last = verified.last else { return [] }
        try await repository.prune(through: last, at: now)
        return verified
    }

    /// Verifies an archive file offline, reading it a megabyte at a time.
    /// `progress` hears the bytes read so far and the file's size, a megabyte at a time.
    public static func verify(
        file: URL, trustedKeys: [SigningPublicKey], progress: ((_ read: Int64, _ size: Int64) -> Void)? = nil
    ) throws -> AuditArchiveSummary {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw AuditArchiveRunError.io(path: file.path, reason: BilingualText(zh: "无法打开", en: "cannot open it"))
        }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? 0
        var read: Int64 = 0
        var verifier = AuditArchiveVerifier(trustedKeys: trustedKeys)
        var pending: [UInt8] = []
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            read += Int64(chunk.count)
            progress?(read, size)
            pending += chunk
            var lineStart = 0
            while let newline = pending[lineStart...].firstIndex(of: 0x0A) {
                try verifier.consume(pending[lineStart..<newline])
                lineStart = newline + 1
            }
            pending.removeFirst(lineStart)
        }
        if !pending.isEmpty { try verifier.consume(pending) }
        return try verifier.finish()
    }
}
