using System;
using System.Collections.Generic;
using CenateBackup.Core.Wal;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Issue 19: which pg_hba.conf line a replication login from 127.0.0.1 meets, and the archiver's passfile line.</summary>
public class WalArchiveUnitTests
{
    private static readonly IReadOnlySet<string> Self = new HashSet<string>(StringComparer.Ordinal) { "cenate_replication" };

    private static HbaRule Rule(int line, string type, string db, string user, string? address, string? mask, string method) =>
        new(line, type, db.Split(','), user.Split(','), address, mask, method, null);

    // initdb's default file with --auth-host=scram-sha-256: replication from loopback for every role.
    private static readonly HbaRule[] InitDb =
    {
        Rule(89, "local", "all", "all", null, null, "trust"),
        Rule(91, "host", "all", "all", "127.0.0.1", "255.255.255.255", "scram-sha-256"),
        Rule(93, "host", "all", "all", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "scram-sha-256"),
        Rule(96, "local", "replication", "all", null, null, "trust"),
        Rule(97, "host", "replication", "all", "127.0.0.1", "255.255.255.255", "scram-sha-256"),
        Rule(98, "host", "replication", "all", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "scram-sha-256"),
    };

    [Fact]
    public void Initdb_defaults_admit_replication_from_loopback()
    {
        var first = HbaRuleMatch.FirstMatch(InitDb, "cenate_replication", Self, ssl: false);
        Assert.Equal(97, first!.LineNumber);
        Assert.True(HbaRuleMatch.Admits(first));
    }

    [Fact]
    public void All_in_the_database_column_does_not_match_a_replication_connection()
    {
        var rules = new[] { Rule(1, "host", "all", "all", "0.0.0.0", "0.0.0.0", "scram-sha-256") };
        Assert.Null(HbaRuleMatch.FirstMatch(rules, "cenate_replication", Self, false));
    }

    [Fact]
    public void An_earlier_reject_wins_and_is_not_admitting()
    {
        var rules = new List<HbaRule> { Rule(1, "host", "replication", "cenate_replication", "127.0.0.1", "255.255.255.255", "reject") };
        rules.AddRange(InitDb);
        var first = HbaRuleMatch.FirstMatch(rules, "cenate_replication", Self, false);
        Assert.Equal(1, first!.LineNumber);
        Assert.False(HbaRuleMatch.Admits(first));
    }

    [Theory]
    [InlineData("10.0.0.0", "255.0.0.0", false)]
    [InlineData("127.0.0.0", "255.0.0.0", true)]
    [InlineData("0.0.0.0", "0.0.0.0", true)]
    [InlineData("127.0.0.2", "255.255.255.255", false)]
    [InlineData("all", null, true)]
    [InlineData("samehost", null, true)]
    [InlineData("db.example", null, false)]
    [InlineData("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false)]
    public void Addresses_match_127_0_0_1_by_mask(string address, string? mask, bool matches)
    {
        var rules = new[] { Rule(1, "host", "replication", "all", address, mask, "md5") };
        Assert.Equal(matches, HbaRuleMatch.FirstMatch(rules, "cenate_replication", Self, false) is not null);
    }

    [Theory]
    [InlineData("hostssl", false, false)]
    [InlineData("hostssl", true, true)]
    [InlineData("hostnossl", false, true)]
    [InlineData("hostnossl", true, false)]
    [InlineData("hostgssenc", false, false)]
    [InlineData("hostnogssenc", false, true)]
    [InlineData("local", false, false)]
    public void Connection_types_follow_tls(string type, bool ssl, bool matches)
    {
        var rules = new[] { Rule(1, type, "replication", "all", type == "local" ? null : "127.0.0.1", "255.255.255.255", "trust") };
        Assert.Equal(matches, HbaRuleMatch.FirstMatch(rules, "cenate_replication", Self, ssl) is not null);
    }

    [Fact]
    public void Users_match_by_name_by_group_membership_and_all()
    {
        var rules = new[]
        {
            Rule(1, "host", "replication", "someone_else", "127.0.0.1", "255.255.255.255", "trust"),
            Rule(2, "host", "replication", "+replicators", "127.0.0.1", "255.255.255.255", "md5"),
            Rule(3, "host", "replication", "all", "127.0.0.1", "255.255.255.255", "peer"),
        };
        var member = new HashSet<string>(StringComparer.Ordinal) { "cenate_replication", "replicators" };
        Assert.Equal(2, HbaRuleMatch.FirstMatch(rules, "cenate_replication", member, false)!.LineNumber);
        var third = HbaRuleMatch.FirstMatch(rules, "cenate_replication", Self, false);
        Assert.Equal(3, third!.LineNumber);
        Assert.False(HbaRuleMatch.Admits(third));
    }

    [Fact]
    public void Rules_with_errors_are_skipped()
    {
        var rules = new[] { new HbaRule(1, "host", new[] { "replication" }, new[] { "all" }, "127.0.0.1", "255.255.255.255", "trust", "bad") };
        Assert.Null(HbaRuleMatch.FirstMatch(rules, "cenate_replication", Self, false));
    }

    [Theory]
    [InlineData("cenate_replication", "host replication cenate_replication 127.0.0.1/32 scram-sha-256")]
    [InlineData("Repl User", "host replication \"Repl User\" 127.0.0.1/32 scram-sha-256")]
    [InlineData("all", "host replication \"all\" 127.0.0.1/32 scram-sha-256")]
    [InlineData("a\"b", "host replication \"a\"\"b\" 127.0.0.1/32 scram-sha-256")]
    public void The_added_line_names_only_the_role_from_loopback(string role, string line) =>
        Assert.Equal(line, HbaRuleMatch.LineFor(role));

    [Fact]
    public void The_passfile_line_escapes_colons_and_backslashes()
    {
        Assert.Equal("127.0.0.1:5432:replication:cenate_replication:a\\:b\\\\c\n", WalArchiveService.PassLine(5432, "cenate_replication", "a:b\\c"));
    }

    [Fact]
    public void The_resume_segment_follows_pg_receivewal_highest_number_complete_wins_a_tie()
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cenate-walunit-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        void Touch(string name) => System.IO.File.WriteAllText(System.IO.Path.Combine(dir, name), "");
        const long mb16 = 16L << 20;
        try
        {
            Assert.Null(WalArchiveService.ResumeSegment(dir, mb16));
            Touch(".cenate-wal-archive.json");
            Touch("00000002.history");
            Assert.Null(WalArchiveService.ResumeSegment(dir, mb16));
            Touch("00000001000000000000000A");
            Touch("0000000100000000000000FF");
            // After a complete segment: the next one (0xFF + 1 rolls into the next log file with 16 MB segments).
            Assert.Equal("000000010000000100000000", WalArchiveService.ResumeSegment(dir, mb16));
            // A partial segment older than the newest complete one is history: it does not pull the start back.
            Touch("00000001000000000000000B.partial");
            Assert.Equal("000000010000000100000000", WalArchiveService.ResumeSegment(dir, mb16));
            // The newest is partial: pg_receivewal starts again at its beginning.
            Touch("000000010000000100000000.partial");
            Assert.Equal("000000010000000100000000", WalArchiveService.ResumeSegment(dir, mb16));
            // Complete and partial with the same number: the complete one wins.
            Touch("000000010000000100000000");
            Assert.Equal("000000010000000100000001", WalArchiveService.ResumeSegment(dir, mb16));
            // A promotion: the new timeline goes on at the next number.
            Touch("000000020000000100000003");
            Assert.Equal("000000020000000100000004", WalArchiveService.ResumeSegment(dir, mb16));
            // 64 MB segments (a directory of such a server only): 64 per log file, so 0x3F is the last of log 1.
            foreach (var f in System.IO.Directory.GetFiles(dir)) System.IO.File.Delete(f);
            Touch("000000020000000100000010");
            Touch("00000002000000010000003F");
            Assert.Equal("000000020000000200000000", WalArchiveService.ResumeSegment(dir, 64L << 20));
        }
        finally
        {
            System.IO.Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("000000010000000000000000", 16L << 20, 0)]
    [InlineData("0000000100000001000000FF", 16L << 20, 511)]
    [InlineData("000000030000000200000001", 64L << 20, 129)]
    public void Segment_numbers_leave_the_timeline_out(string name, long size, long number) =>
        Assert.Equal(number, WalArchiveService.SegmentNumber(name, size));
}
