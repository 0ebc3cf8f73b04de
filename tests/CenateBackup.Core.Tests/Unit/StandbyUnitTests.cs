using System;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Standby;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The standby's rules without Docker: its state and lag from what the primary and the standby answered (a NULL
/// replay_lag with WAL behind is unknown, never healthy), the slot name made of its name, and the image probe.
/// </summary>
public class StandbyUnitTests
{
    private const ulong Lsn = 0x3000060;

    private static ReplicationStatus Status(bool active = true, string? walStatus = "reserved", string? sender = "streaming",
        string? receiver = "streaming", long? retained = 1 << 20, long? safe = null, long keep = 10L << 30) => new()
    {
        Name = "postgres_cenate_standby", Primary = "postgres_cenate", Slot = "postgres_cenate_standby", Port = 5433,
        SlotActive = active, WalStatus = walStatus, SenderState = sender, ReceiverStatus = receiver,
        RetainedWalBytes = retained, SafeWalSizeBytes = safe, MaxSlotWalKeepSizeBytes = keep,
    };

    private static ReplicationFacts Facts(ulong? replayed = Lsn, double? replayLag = null, double? silent = 0.5, bool running = true,
        bool reachable = true, bool recovery = true, bool slot = true, string? receiverSlot = "postgres_cenate_standby",
        string? sender = "postgres_cenate_standby", bool same = true) => new()
    {
        Running = running, Reachable = reachable, InRecovery = recovery, SlotExists = slot, PrimaryLsn = Lsn,
        ReplayedLsn = replayed, ReplayLagSeconds = replayLag, SilentSeconds = silent, ReceiverSlot = receiverSlot,
        SenderApplication = sender, SameSystem = same, Systems = ("7443906633431123456", same ? "7443906633431123456" : "7400000000000000001"),
    };

    [Fact]
    public void Idle_AllReplayed_LagIsZero_AndHealthyUnderTheCheck()
    {
        var s = Status();
        StandbyService.Evaluate(s, Facts(), TimeSpan.FromSeconds(60), 5L << 30);
        Assert.Equal("Streaming", s.State);
        Assert.Equal(0, s.LagBytes);
        Assert.Equal(0, s.LagSeconds);
        Assert.True(s.Healthy);
        Assert.Null(s.ErrorId);
    }

    [Fact]
    public void Behind_WithNullReplayLag_IsUnknown_AndNotHealthyUnderMaxLag()
    {
        var s = Status();
        StandbyService.Evaluate(s, Facts(replayed: Lsn - 4096, replayLag: null), TimeSpan.FromSeconds(60), null);
        Assert.Equal(4096, s.LagBytes);
        Assert.Null(s.LagSeconds);
        Assert.False(s.Healthy);
        Assert.Equal(ErrorIds.StandbyLagging, s.ErrorId);
    }

    [Fact]
    public void Behind_WithNullReplayLag_WithoutTheCheck_IsStillNotHealthy()
    {
        var s = Status();
        StandbyService.Evaluate(s, Facts(replayed: Lsn - 4096, replayLag: null), null, null);
        Assert.Null(s.LagSeconds);
        Assert.False(s.Healthy);
        Assert.Equal(ErrorIds.StandbyLagging, s.ErrorId);
    }

    [Fact]
    public void CatchingUp_IsNotHealthy_EvenWithoutMaxLag()
    {
        var s = Status(sender: "catchup");
        StandbyService.Evaluate(s, Facts(replayed: Lsn - 1000, replayLag: 3), null, null);
        Assert.Equal("CatchingUp", s.State);
        Assert.False(s.Healthy);
        Assert.Equal(ErrorIds.StandbyLagging, s.ErrorId);
    }

    [Fact]
    public void AnotherClientOnTheSlot_OrAnotherSlot_IsDisconnected_NotStreaming()
    {
        var s = Status();
        StandbyService.Evaluate(s, Facts(sender: "pg_receivewal"), null, null);
        Assert.Equal("Disconnected", s.State);
        Assert.Equal(ErrorIds.StandbyDisconnected, s.ErrorId);
        var t = Status();
        StandbyService.Evaluate(t, Facts(receiverSlot: "some_other_slot"), null, null);
        Assert.Equal("Disconnected", t.State);
        Assert.Contains("some_other_slot", t.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ACopyOfAnotherCluster_IsDisconnected_WithoutALag()
    {
        var s = Status();
        StandbyService.Evaluate(s, Facts(replayed: null, same: false), TimeSpan.FromSeconds(60), null);
        Assert.Equal("Disconnected", s.State);
        Assert.Null(s.LagBytes);
        Assert.Contains("7400000000000000001", s.Problems[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(12.5, 1.0, 60, true)]
    [InlineData(75.0, 1.0, 60, false)]
    [InlineData(2.0, 90.0, 60, false)] // a standby silent for 90 s is at least that far behind
    public void Behind_WithMeasuredLag_ComparesWithMaxLag(double replayLag, double silent, int maxLag, bool healthy)
    {
        var s = Status();
        StandbyService.Evaluate(s, Facts(replayed: Lsn - 65536, replayLag: replayLag, silent: silent), TimeSpan.FromSeconds(maxLag), null);
        Assert.Equal(Math.Max(replayLag, silent), s.LagSeconds);
        Assert.Equal(healthy, s.Healthy);
        if (!healthy) Assert.Equal(ErrorIds.StandbyLagging, s.ErrorId);
    }

    [Fact]
    public void Stopped_StandbyStopped_FirstThenRetainedWal()
    {
        var s = Status(active: false, sender: null, receiver: null, retained: 300L << 20);
        StandbyService.Evaluate(s, Facts(replayed: null, running: false, reachable: false), TimeSpan.FromSeconds(60), 100L << 20);
        Assert.Equal("Stopped", s.State);
        Assert.Equal(ErrorIds.StandbyStopped, s.ErrorId);
        Assert.Null(s.LagBytes);
        Assert.Null(s.LagSeconds);
        Assert.Equal(2, s.Problems.Count);
        Assert.Contains("300 MB", s.Problems[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false, true, true, "reserved", "Unreachable", ErrorIds.StandbyUnreachable)]
    [InlineData(true, true, false, true, "reserved", "Promoted", ErrorIds.StandbyPromoted)]
    [InlineData(true, true, true, false, null, "SlotMissing", ErrorIds.StandbySlotMissing)]
    [InlineData(true, true, true, true, "lost", "Lost", ErrorIds.StandbySlotLost)]
    [InlineData(true, true, true, true, "unreserved", "Streaming", ErrorIds.StandbyNearLimit)]
    public void States_AndTheirErrorIds(bool running, bool reachable, bool recovery, bool slot, string? walStatus, string state, string errorId)
    {
        var s = Status(walStatus: walStatus);
        StandbyService.Evaluate(s, Facts(running: running, reachable: reachable, recovery: recovery, slot: slot), null, null);
        Assert.Equal(state, s.State);
        Assert.Equal(errorId, s.ErrorId);
        Assert.False(s.Healthy);
    }

    [Fact]
    public void ReceiverNotStreaming_IsDisconnected()
    {
        var s = Status(active: false, sender: null, receiver: "waiting");
        StandbyService.Evaluate(s, Facts(), null, null);
        Assert.Equal("Disconnected", s.State);
        Assert.Equal(ErrorIds.StandbyDisconnected, s.ErrorId);
    }

    [Fact]
    public void Catchup_IsCatchingUp_AndNearTheLimitIsAProblem()
    {
        var s = Status(sender: "catchup", safe: 1L << 30);
        StandbyService.Evaluate(s, Facts(replayed: Lsn - 1000, replayLag: 3), TimeSpan.FromSeconds(60), null);
        Assert.Equal("CatchingUp", s.State);
        Assert.Equal(ErrorIds.StandbyNearLimit, s.ErrorId);
    }

    [Theory]
    [InlineData("postgres_cenate_standby", "postgres_cenate_standby")]
    [InlineData("Cenate-Standby.2", "cenate_standby_2")]
    public void DefaultSlot_IsAValidSlotName(string name, string slot) => Assert.Equal(slot, StandbyService.DefaultSlot(name));

    [Fact]
    public void DefaultSlot_IsCutAt63() => Assert.Equal(63, StandbyService.DefaultSlot(new string('a', 100)).Length);

    [Theory]
    [InlineData("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\nlibc: glibc 2.36", 15, "glibc 2.36")]
    [InlineData("postgres (PostgreSQL) 17.12\nlibc: glibc 2.41\n", 17, "glibc 2.41")]
    [InlineData("pg_basebackup (PostgreSQL) 16.4\nlibc: musl libc (x86_64)", 16, "musl libc (x86_64)")]
    [InlineData("sh: postgres: not found\nlibc: ", null, null)]
    public void ParseProbe_ReadsMajorAndLibc(string output, int? major, string? libc)
    {
        var (m, l) = StandbyService.ParseProbe(output);
        Assert.Equal(major, m);
        Assert.Equal(libc, l);
    }
}
