# Benchmark (not a test): how fast CopyTextToCsvConverter turns PostgreSQL COPY text into CSV, and how fast
# CsvRecordCounter counts the records, on ~180-byte rows of 10 columns fed in 64 KB pieces. Prints MB/s.
# The xunit test CopyFormatBulkTests checks only that the conversion is right: a wall-clock figure in a test fails
# on a busy machine (it was an assertion, > 20 MB/s, until issue 13).
#   pwsh -NoProfile -File bench/Measure-CsvConversion.ps1 [-Module out/CenateBackup] [-Repeats 12]
param(
    [string]$Module = (Join-Path $PSScriptRoot '../out/CenateBackup'),
    [ValidateRange(1, 1000)][int]$Repeats = 12
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$core = Join-Path $Module 'bin/deps/CenateBackup.Core.dll'
if (-not (Test-Path -LiteralPath $core)) { throw "no ${core}: run scripts/build.sh first" }
$core = (Resolve-Path -LiteralPath $core).Path
$null = [Reflection.Assembly]::LoadFrom($core)

# Spans do not cross into PowerShell: the loop is C#, compiled here against the built Core.
Add-Type -IgnoreWarnings -WarningAction SilentlyContinue -ReferencedAssemblies $core, 'System.Memory', 'System.Runtime', 'System.Collections' -TypeDefinition @'
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using CenateBackup.Core.Formats;

public static class CenateCsvBench
{
    private sealed class Sink : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[1 << 20];
        public void Advance(int count) { }
        public Memory<byte> GetMemory(int sizeHint = 0) => sizeHint <= _buffer.Length ? _buffer : new byte[sizeHint];
        public Span<byte> GetSpan(int sizeHint = 0) => sizeHint <= _buffer.Length ? _buffer : new byte[sizeHint];
    }

    public static string Run(int repeats)
    {
        // The same rows as the xunit test (fixed seed, 4 MB of text).
        var rng = new Random(7);
        var block = new List<byte>();
        var rows = 0;
        while (block.Count < 4 << 20)
        {
            var id = rng.Next(1, 10_000_000);
            var name = rng.Next(4) == 0 ? "Núñez, José" : "Alexander Hamilton";
            var note = rng.Next(5) == 0 ? "\\N" : "order shipped via \"express\" to Lyon\\tFR";
            var row = $"{id}\t{name}\tuser{id}@example.com\t2024-03-{rng.Next(10, 28)} 12:34:56.123456+00\t{rng.Next(1000)}.{rng.Next(100):00}\t{(rng.Next(2) == 0 ? "t" : "f")}\t\\N\t{note}\t{rng.Next():x8}-{rng.Next(65536):x4}-4{rng.Next(4096):x3}-a{rng.Next(4096):x3}-{rng.Next():x8}{rng.Next(65536):x4}\tsome plain text here\n";
            block.AddRange(Encoding.UTF8.GetBytes(row));
            rows++;
        }
        var input = block.ToArray();
        var converter = new CopyTextToCsvConverter(10);
        var sink = new Sink();
        converter.Convert(input, sink); // warm-up
        var sw = Stopwatch.StartNew();
        for (var r = 0; r < repeats; r++)
            for (var i = 0; i < input.Length; i += 65536)
                converter.Convert(input.AsSpan(i, Math.Min(65536, input.Length - i)), sink);
        sw.Stop();
        converter.Complete();
        if (converter.Rows != (long)rows * (repeats + 1)) throw new InvalidOperationException($"{converter.Rows} rows converted");
        var convert = (double)input.Length * repeats / (1 << 20) / sw.Elapsed.TotalSeconds;

        var whole = new ArrayBufferWriter<byte>();
        var once = new CopyTextToCsvConverter(10);
        once.Convert(input, whole);
        once.Complete();
        var csv = whole.WrittenSpan.ToArray();
        var counter = new CsvRecordCounter();
        sw.Restart();
        for (var r = 0; r < repeats; r++) counter.Add(csv);
        sw.Stop();
        if (counter.Records != (long)rows * repeats) throw new InvalidOperationException($"{counter.Records} records counted");
        var count = (double)csv.Length * repeats / (1 << 20) / sw.Elapsed.TotalSeconds;
        return $"[bench] COPY text -> CSV: {(double)input.Length / rows:F0} bytes/row, {convert:F0} MB/s\n" +
               $"[bench] CsvRecordCounter: {count:F0} MB/s";
    }
}
'@
[CenateCsvBench]::Run($Repeats)
