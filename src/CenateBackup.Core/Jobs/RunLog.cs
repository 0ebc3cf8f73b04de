using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using CenateBackup.Core.Alerts;

namespace CenateBackup.Core.Jobs;

/// <summary>
/// The two logs of one job run in the log directory, both 0600: &lt;job&gt;-&lt;yyyyMMddTHHmmssfff&gt;Z.log (one human
/// line per event) and the same name .jsonl (one camelCase JSON object per line: start, step…, end), each record
/// written and flushed at once so a killed run leaves every record up to its death. Messages pass through
/// <see cref="AlertRedactor"/>: no secret reaches a log.
/// </summary>
public sealed class RunLog : IDisposable
{
    // Readable files ('…' stays '…'); every value is still escaped as JSON requires (quotes, control characters).
    private static readonly JsonWriterOptions s_options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private readonly StreamWriter _human;
    private readonly FileStream _json;
    private readonly string _job;
    private readonly string _runId;

    private RunLog(string path, string jsonPath, StreamWriter human, FileStream json, string job, string runId)
    {
        Path = path;
        JsonPath = jsonPath;
        _human = human;
        _json = json;
        _job = job;
        _runId = runId;
    }

    /// <summary>The human log.</summary>
    public string Path { get; }
    /// <summary>The JSON-lines log.</summary>
    public string JsonPath { get; }

    /// <summary>The base name of a run's logs: daily-20261130T020001123Z.</summary>
    public static string BaseName(string job, DateTimeOffset startedAt) =>
        job + "-" + startedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture) + "Z";

    /// <summary>Creates both logs (new files only: an existing name or a planted link is refused).</summary>
    public static RunLog Create(string directory, string job, string runId, DateTimeOffset startedAt)
    {
        var name = BaseName(job, startedAt);
        var path = System.IO.Path.Combine(directory, name + ".log");
        var jsonPath = System.IO.Path.Combine(directory, name + ".jsonl");
        var human = Open(path);
        try
        {
            var json = Open(jsonPath);
            return new RunLog(path, jsonPath, new StreamWriter(human, new UTF8Encoding(false)), json, job, runId);
        }
        catch
        {
            human.Dispose();
            File.Delete(path);
            throw;
        }
    }

    private static FileStream Open(string path)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }

    /// <summary>The start record.</summary>
    public void Start(DateTimeOffset time, string host, string settings, string moduleVersion)
    {
        Human(time, $"start {_job} run {_runId} pid {Environment.ProcessId} host {host} settings {settings} "
            + $"module {moduleVersion}");
        Json(time, "start", w =>
        {
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteString("host", host);
            w.WriteString("settings", settings);
            w.WriteString("moduleVersion", moduleVersion);
        });
    }

    /// <summary>A step record.</summary>
    public void Step(JobStepRecord step)
    {
        var message = step.Message is null ? null : AlertRedactor.Redact(OneLine(step.Message));
        var text = new StringBuilder($"step {step.Name} {step.Result} {step.Duration.TotalSeconds:0.0}s");
        if (step.Bytes is { } b) text.Append(CultureInfo.InvariantCulture, $" bytes {b}");
        if (step.Rows is { } r) text.Append(CultureInfo.InvariantCulture, $" rows {r}");
        if (step.ErrorId is not null) text.Append(CultureInfo.InvariantCulture, $" {step.ErrorId}");
        if (message is not null) text.Append(": ").Append(message);
        Human(step.End, text.ToString());
        Json(step.End, "step", w =>
        {
            w.WriteString("step", step.Name);
            w.WriteString("start", Stamp(step.Start));
            w.WriteString("end", Stamp(step.End));
            w.WriteNumber("durationMs", (long)step.Duration.TotalMilliseconds);
            w.WriteString("result", step.Result.ToString());
            Nullable(w, "errorId", step.ErrorId);
            Nullable(w, "message", message);
            if (step.Bytes is { } bytes) w.WriteNumber("bytes", bytes); else w.WriteNull("bytes");
            if (step.Rows is { } rows) w.WriteNumber("rows", rows); else w.WriteNull("rows");
        });
    }

    /// <summary>The end record.</summary>
    public void End(DateTimeOffset start, DateTimeOffset end, bool succeeded, int exitCode)
    {
        var result = succeeded ? "Succeeded" : "Failed";
        Human(end, $"end {_job} {result} exit {exitCode} {(end - start).TotalSeconds:0.0}s");
        Json(end, "end", w =>
        {
            w.WriteString("start", Stamp(start));
            w.WriteString("end", Stamp(end));
            w.WriteNumber("durationMs", (long)(end - start).TotalMilliseconds);
            w.WriteString("result", result);
            w.WriteNumber("exitCode", exitCode);
        });
    }

    /// <summary>UTC ISO time with milliseconds: 2026-11-30T02:00:01.123Z.</summary>
    public static string Stamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    private static string OneLine(string text) => text.Replace("\r\n", " ", StringComparison.Ordinal)
        .Replace('\n', ' ').Replace('\r', ' ');

    private void Human(DateTimeOffset time, string text)
    {
        _human.Write(Stamp(time) + " " + AlertRedactor.Redact(OneLine(text)) + "\n");
        _human.Flush();
    }

    private void Json(DateTimeOffset time, string kind, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, s_options))
        {
            w.WriteStartObject();
            w.WriteString("time", Stamp(time));
            w.WriteString("event", kind);
            w.WriteString("job", _job);
            w.WriteString("runId", _runId);
            body(w);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        _json.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _json.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // A full disk fails the last flush again; the write that failed first was already reported.
        try
        {
            _human.Dispose();
        }
        catch (IOException)
        {
            _human.BaseStream.Dispose();
        }
        try
        {
            _json.Dispose();
        }
        catch (IOException)
        {
            // Nothing buffered (bufferSize 0): the handle is closed.
        }
    }
}
