using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using CenateBackup.Core.Offsite.Rclone;
using Xunit;

namespace CenateBackup.Core.Tests.Integration.Offsite;

/// <summary>A remote server started for the tests: its process, the directory it serves (to flip bytes in), its
/// port.</summary>
public sealed record TestRemote(string Kind, Process Process, string Directory, int Port);

/// <summary>
/// Real rclone remotes on 127.0.0.1 for the offsite tests: `rclone serve sftp` and `rclone serve webdav` over private
/// directories (credentials through RCLONE_USER/RCLONE_PASS, never argv), npm s3rver as an S3 server, and an rclone
/// config (0600) with those remotes plus crypt over a local directory and over WebDAV, a crypt remote with the wrong
/// password over the same local directory, and an sftp remote where nothing listens. The plaintext passwords are kept
/// so tests can look for them where they must not be. A missing rclone or s3rver fails the tests (no silent skip).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RemoteFixture : IDisposable
{
    private readonly List<TestRemote> _remotes = new();

    public RemoteFixture()
    {
        Root = System.IO.Directory.CreateTempSubdirectory("cenate-remotes-").FullName;
        try
        {
            (Sftp, WebDav, S3, CryptLocalDirectory, DeadPort, ConfigPath) = StartAll();
        }
        catch
        {
            // xunit never disposes a fixture whose constructor threw: stop what was started here.
            Dispose();
            throw;
        }
    }

    private (TestRemote, TestRemote, TestRemote, string, int, string) StartAll()
    {
        var sftp = Start("sftp", NewDir("sftp"));
        var webDav = Start("webdav", NewDir("webdav"));
        var s3 = Start("s3", NewDir("s3"));
        var cryptLocal = NewDir("cryptlocal");
        var deadPort = FreePort();
        var configPath = Path.Combine(Root, "rclone.conf");
        File.WriteAllText(configPath, string.Join('\n', new[]
        {
            "[sftp]", "type = sftp", "host = 127.0.0.1", $"port = {sftp.Port}", $"user = {User}",
                $"pass = {Obscure(SftpPassword)}",
            "[dav]", "type = webdav", $"url = http://127.0.0.1:{webDav.Port}", "vendor = other", $"user = {User}",
            $"pass = {Obscure(WebDavPassword)}",
            "[s3]", "type = s3", "provider = Other", $"endpoint = http://127.0.0.1:{s3.Port}", "access_key_id = S3RVER",
            "secret_access_key = S3RVER", "region = us-east-1",
            "[cryptlocal]", "type = crypt", $"remote = {cryptLocal}", $"password = {Obscure(CryptPassword)}",
            $"password2 = {Obscure(CryptSalt)}",
            "[cryptdav]", "type = crypt", "remote = dav:enc", $"password = {Obscure(CryptPassword)}",
                $"password2 = {Obscure(CryptSalt)}",
            "[cryptwrong]", "type = crypt", $"remote = {cryptLocal}",
                $"password = {Obscure("not-the-password")}",
            $"password2 = {Obscure(CryptSalt)}",
            "[dead]", "type = sftp", "host = 127.0.0.1", $"port = {deadPort}", $"user = {User}",
                $"pass = {Obscure(SftpPassword)}",
            "",
        }));
        File.SetUnixFileMode(configPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var mk = new RcloneClient(new RcloneOptions(ConfigPath: configPath));
        mk.MakeDirectoryAsync(new RemoteLocation("s3", "bucket"), CancellationToken.None).GetAwaiter().GetResult();
        return (sftp, webDav, s3, cryptLocal, deadPort, configPath);
    }

    public const string User = "cenate";
    public string SftpPassword { get; } = "sftp-" + Guid.NewGuid().ToString("N")[..12];
    public string WebDavPassword { get; } = "dav-" + Guid.NewGuid().ToString("N")[..12];
    public string CryptPassword { get; } = "crypt-" + Guid.NewGuid().ToString("N")[..16];
    public string CryptSalt { get; } = "salt-" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>Every secret in the config, plaintext and as written (obscured).</summary>
    public IReadOnlyList<string> Secrets => _secrets;
    private readonly List<string> _secrets = new();

    public string Root { get; }
    public string ConfigPath { get; }
    public TestRemote Sftp { get; }
    public TestRemote WebDav { get; }
    public TestRemote S3 { get; }
    public string CryptLocalDirectory { get; }
    public int DeadPort { get; }

    /// <summary>The directory on disk where a remote keeps "path" (for the plain servers).</summary>
    public string ServedPath(TestRemote remote, string path) => Path.Combine(remote.Directory, path);

    public RcloneClient Client(Action<string>? verbose = null) =>
        new(new RcloneOptions(ConfigPath: ConfigPath) { Timeout = TimeSpan.FromSeconds(10) }, verbose);

    /// <summary>A fresh directory name at a remote ("bucket/…" on s3, where the bucket is the first level).</summary>
    public static RemoteLocation NewLocation(string remote) =>
        new(remote, (remote == "s3" ? "bucket/" : "") + "t" + Guid.NewGuid().ToString("N")[..10]);

    public string NewDir(string name)
    {
        var dir = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        System.IO.Directory.CreateDirectory(dir,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    private string Obscure(string plain)
    {
        var psi = new ProcessStartInfo("rclone") { RedirectStandardOutput = true, UseShellExecute = false };
        // `rclone obscure -` reads the secret from stdin, so it is never in a command line.
        psi.ArgumentList.Add("obscure");
        psi.ArgumentList.Add("-");
        psi.RedirectStandardInput = true;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("rclone did not start");
        p.StandardInput.Write(plain);
        p.StandardInput.Close();
        var obscured = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && obscured.Length > 0, "rclone obscure failed");
        _secrets.Add(plain);
        _secrets.Add(obscured);
        return obscured;
    }

    private TestRemote Start(string kind, string directory)
    {
        var port = FreePort();
        ProcessStartInfo psi;
        if (kind == "s3")
        {
            psi = new ProcessStartInfo(S3rverPath());
            foreach (var a in new[] { "-d", directory, "-p", port.ToString(), "-a", "127.0.0.1",
                "--silent" }) psi.ArgumentList.Add(a);
        }
        else
        {
            psi = new ProcessStartInfo("rclone");
            // --dir-cache-time 0s: tests change the served directory behind the server's back (flipped bytes, files
            // left by a stopped copy); a cached listing would hide that from the code under test.
            foreach (var a in new[] { "serve", kind, directory, "--addr", $"127.0.0.1:{port}", "--config",
                "/dev/null", "--dir-cache-time", "0s" })
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["RCLONE_USER"] = User;
            psi.Environment["RCLONE_PASS"] = kind == "sftp" ? SftpPassword : WebDavPassword;
        }
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"{kind} server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var remote = new TestRemote(kind, process, directory, port);
        _remotes.Add(remote);
        WaitListening(remote);
        return remote;
    }

    private static void WaitListening(TestRemote remote)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            Assert.False(remote.Process.HasExited,
                $"{remote.Kind} server exited with {(remote.Process.HasExited ? remote.Process.ExitCode : 0)}");
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, remote.Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(200);
            }
        }
        Assert.Fail($"{remote.Kind} server did not listen on 127.0.0.1:{remote.Port} within 30 s");
    }

    /// <summary>s3rver from CENATE_S3RVER, or where scripts/install-prereqs.sh puts it.</summary>
    public static string S3rverPath()
    {
        var home = Environment.GetEnvironmentVariable("CENATE_RIG_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cenate-rig");
        var path = Environment.GetEnvironmentVariable("CENATE_S3RVER") ?? Path.Combine(home, "s3rver", "node_modules",
            ".bin", "s3rver");
        Assert.True(File.Exists(path),
            $"s3rver not found at {path}: run scripts/install-prereqs.sh (or set CENATE_S3RVER).");
        return path;
    }

    /// <summary>A loopback port nothing listens on now, from the range reserved for these tests
    /// (56100–56199).</summary>
    public static int FreePort()
    {
        for (var i = 0; i < 200; i++)
        {
            var port = 56100 + Random.Shared.Next(100);
            try
            {
                var l = new TcpListener(IPAddress.Loopback, port);
                l.Start();
                l.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }
        throw new InvalidOperationException("no free port in 56100-56199");
    }

    public void Dispose()
    {
        foreach (var r in _remotes)
        {
            try
            {
                r.Process.Kill(entireProcessTree: true);
                r.Process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            r.Process.Dispose();
        }
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(nameof(RemoteCollection))]
public sealed class RemoteCollection : ICollectionFixture<RemoteFixture>
{
}
