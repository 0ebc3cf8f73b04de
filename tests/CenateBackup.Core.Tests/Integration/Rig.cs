using System;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>The test rig started by scripts/test.sh. A missing rig fails the test: never a silent skip.</summary>
internal static class Rig
{
    private static string Env(string name) => Environment.GetEnvironmentVariable(name)
        ?? throw new InvalidOperationException($"Test rig variable {name} is not set: run the tests through scripts/test.sh.");

    public static string Container => Env("CENATE_TEST_CONTAINER");
    public static int Port => int.Parse(Env("CENATE_TEST_PORT"));
    public static string Password => Env("CENATE_TEST_PASSWORD");

    public static DatabaseTarget ContainerTarget(string? password = null) =>
        new(ConnectionMode.Container, DatabaseTarget.DefaultDatabase, "cenate", Port) { Container = Container, Password = password ?? Password };

    public static DatabaseTarget HostTarget(string? password = null) =>
        new(ConnectionMode.Host, DatabaseTarget.DefaultDatabase, "cenate", Port) { Host = "127.0.0.1", Password = password ?? Password };
}
