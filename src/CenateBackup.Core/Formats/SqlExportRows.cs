using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Formats;

/// <summary>
/// The rows of a data-only SQL export (.sql.gz): the file is read as data only. Its header is checked line by line —
/// comments, the session settings pg_dump writes (skipped, never run) and exactly one strict
/// <c>COPY &lt;table&gt; (&lt;columns&gt;) FROM stdin;</c> line (<see cref="SqlCopyHeader"/>) — then the rows are streamed up to
/// the end marker, and what follows it may only be comments and <c>SELECT pg_catalog.setval(…)</c> lines (also not run).
/// Anything else — FROM PROGRAM, a second statement before or after the rows, an unterminated quote — is
/// UnsafeBackupContent: the file was not written by pg_dump or the module.
/// </summary>
internal sealed class SqlExportRows : IAsyncDisposable
{
    /// <summary>Header and trailer text is small; more than this is not a data-only export.</summary>
    private const int MaximumScriptBytes = 1 << 20;

    private readonly string _path;
    private readonly FileStream _file;
    private readonly Stream _input;
    private byte[] _carry;

    private SqlExportRows(string path, FileStream file, Stream input, SqlCopyHeader header, byte[] carry)
    {
        _path = path;
        _file = file;
        _input = input;
        Header = header;
        _carry = carry;
    }

    /// <summary>The COPY header's names.</summary>
    public SqlCopyHeader Header { get; }

    /// <summary>Bytes of the (compressed) file read so far.</summary>
    public long Position => _file.Position;

    /// <summary>The file's size.</summary>
    public long Length => _file.Length;

    /// <summary>Opens <paramref name="path"/> and reads its header up to the first row.</summary>
    public static async Task<SqlExportRows> OpenAsync(string path, CancellationToken ct)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        Stream input = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(fs, CompressionMode.Decompress) : fs;
        try
        {
            var buffer = new byte[1 << 16];
            var pending = new List<byte>();
            var lineNumber = 0;
            string? statement = null;
            while (true)
            {
                var arr = pending.ToArray();
                int start = 0, nl;
                while ((nl = Array.IndexOf(arr, (byte)'\n', start)) >= 0)
                {
                    var line = Encoding.UTF8.GetString(arr, start, nl - start);
                    start = nl + 1;
                    lineNumber++;
                    // A quoted name may hold a newline: a statement whose quote is still open goes on on the next line.
                    statement = statement is null ? line : statement + "\n" + line;
                    if (statement.Length > MaximumScriptBytes) throw Unsafe(path, $"a statement ending on line {lineNumber} is longer than {MaximumScriptBytes} bytes");
                    if (OpenQuote(statement)) continue;
                    var header = ReadHeaderLine(path, statement, lineNumber);
                    statement = null;
                    if (header is not null) return new SqlExportRows(path, fs, input, header, arr[start..]);
                }
                pending = arr[start..].ToList();
                if (pending.Count > MaximumScriptBytes) throw Unsafe(path, $"line {lineNumber + 1} is longer than {MaximumScriptBytes} bytes before any COPY");
                var n = await input.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData, Messages.Format("BackupCorrupt.4", Path.GetFileName(path)),
                        Messages.Get("BackupCorrupt.Action"), path);
                }
                pending.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (InvalidDataException ex)
        {
            await input.DisposeAsync().ConfigureAwait(false);
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData, Messages.Format("BackupCorrupt", Path.GetFileName(path), ex.Message),
                Messages.Get("BackupCorrupt.Action"), path, ex);
        }
        catch
        {
            await input.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>True when <paramref name="text"/> ends inside a quote (its statement goes on on the next line).</summary>
    private static bool OpenQuote(string text)
    {
        try
        {
            SqlStatementScanner.Tokenize(text);
            return false;
        }
        catch (FormatException)
        {
            return true;
        }
    }

    /// <summary>Null for a comment, blank or session-setting line; the header for the COPY line; refused otherwise.</summary>
    private static SqlCopyHeader? ReadHeaderLine(string path, string line, int number)
    {
        List<List<SqlToken>> statements;
        try
        {
            statements = SqlStatementScanner.Statements(line);
        }
        catch (FormatException ex)
        {
            throw Unsafe(path, $"line {number} does not lex as SQL on its own ({ex.Message})");
        }
        if (statements.Count == 0) return null;
        if (statements[0][0].Is("copy"))
        {
            return SqlCopyHeader.TryParse(line, out var why) ?? throw Unsafe(path, $"its COPY line (line {number}) is not a plain COPY … FROM stdin: {why}");
        }
        if (!SqlStatementScanner.EndsTerminated(line)) throw Unsafe(path, $"line {number} holds a statement that does not end on that line");
        var unknown = statements.FirstOrDefault(s => !DataOnlySqlScript.IsSessionSetting(s));
        if (unknown is not null) throw Unsafe(path, $"line {number} holds a statement that is not one of the session settings pg_dump writes ({Shorten(line)})");
        return null;
    }

    /// <summary>
    /// Streams the rows (without the end marker) to <paramref name="raw"/>; then checks what follows the end marker.
    /// Returns the rows sent.
    /// </summary>
    public async Task<long> CopyRowsAsync(Stream raw, Action<long> progress, CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        long rows = 0;
        var atStart = true;
        var data = _carry;
        _carry = Array.Empty<byte>();
        long last = 0;
        byte[]? trailer = null;
        while (true)
        {
            // The end marker is the line "\." — at the very start, or after a newline.
            if (atStart && data.Length >= 3 && data[0] == (byte)'\\' && data[1] == (byte)'.' && data[2] == (byte)'\n') { trailer = data[3..]; break; }
            var end = data.AsSpan().IndexOf("\n\\.\n"u8);
            if (end >= 0)
            {
                rows += data.AsSpan(0, end + 1).Count((byte)'\n');
                await raw.WriteAsync(data.AsMemory(0, end + 1), ct).ConfigureAwait(false);
                trailer = data[(end + 4)..];
                break;
            }
            var keep = Math.Min(3, data.Length);
            if (data.Length - keep > 0)
            {
                rows += data.AsSpan(0, data.Length - keep).Count((byte)'\n');
                await raw.WriteAsync(data.AsMemory(0, data.Length - keep), ct).ConfigureAwait(false);
                atStart = false;
            }
            var n = await _input.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0) break;
            var next = new byte[keep + n];
            data.AsSpan(data.Length - keep).CopyTo(next);
            buffer.AsSpan(0, n).CopyTo(next.AsSpan(keep));
            data = next;
            if (_file.Position - last >= (4 << 20)) { last = _file.Position; progress(last); }
        }
        if (trailer is null)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                Messages.Format("BackupCorrupt.5", Path.GetFileName(_path)), Messages.Get("BackupCorrupt.Action"), _path);
        }
        await CheckTrailerAsync(trailer, buffer, ct).ConfigureAwait(false);
        return rows;
    }

    /// <summary>After the rows: only comments and setval lines (not run), up to the end of the file.</summary>
    private async Task CheckTrailerAsync(byte[] start, byte[] buffer, CancellationToken ct)
    {
        var text = new MemoryStream();
        text.Write(start);
        int n;
        while ((n = await _input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            text.Write(buffer, 0, n);
            if (text.Length > MaximumScriptBytes) throw Unsafe(_path, $"more than {MaximumScriptBytes} bytes follow the rows' end marker");
        }
        var trailer = Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
        List<List<SqlToken>> statements;
        try
        {
            statements = SqlStatementScanner.Statements(trailer);
        }
        catch (FormatException ex)
        {
            throw Unsafe(_path, $"what follows the rows does not lex as SQL ({ex.Message})");
        }
        if (!SqlStatementScanner.EndsTerminated(trailer))
            throw Unsafe(_path, "what follows the rows ends in an unfinished statement");
        var unknown = statements.FirstOrDefault(s => !DataOnlySqlScript.IsSequenceSetval(s));
        if (unknown is not null)
            throw Unsafe(_path, $"after the rows' end marker it holds a statement that is not a sequence position (SELECT pg_catalog.setval): {Shorten(string.Join(" ", unknown.Select(t => t.Value)))}");
    }

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..120] + "…";

    /// <summary>UnsafeBackupContent: the file holds SQL the module does not write; nothing of it was run.</summary>
    internal static CenateException Unsafe(string path, string why) => new(ErrorIds.UnsafeBackupContent, CenateErrorKind.InvalidData,
        Messages.Format("UnsafeBackupContent.SqlExport", Path.GetFileName(path), why),
            Messages.Get("UnsafeBackupContent.SqlExport.Action"), path);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _input.DisposeAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
    }
}
