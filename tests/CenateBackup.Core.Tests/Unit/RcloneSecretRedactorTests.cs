using System.Linq;
using CenateBackup.Core.Offsite.Rclone;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The redactor strips the config's secrets (obscured and revealed) and secret-shaped text from rclone's
/// output.</summary>
public class RcloneSecretRedactorTests
{
    // `rclone obscure 'S3cr3t-Pa55word'` and `rclone obscure 'crypt pw with spaces ñ'` (rclone 1.60, this machine).
    private const string Obscured1 = "47VjCMRzmrNs2RTQgJSLYAZsXeeLG2VezbhbVsaD5w";
    private const string Obscured2 = "9R0zDMXMGqPNkcEshPZMulo8X5doQ0yFxGFX3pb87jr99VyejXdV";

    private static readonly string[] s_config =
    {
        "[box]", "type = sftp", "host = 127.0.0.1", "user = cenate", "pass = " + Obscured1,
        "[vault]", "type = crypt", "remote = box:enc", "password = " + Obscured2, "password2 = " + Obscured1,
        "[s3]", "type = s3", "access_key_id = S3RVER", "secret_access_key = S3RVERsecretKey42",
            "endpoint = http://127.0.0.1:56110",
    };

    [Fact]
    public void Reveal_MatchesRclone()
    {
        Assert.Equal("S3cr3t-Pa55word", RcloneObscure.TryReveal(Obscured1));
        Assert.Equal("crypt pw with spaces ñ", RcloneObscure.TryReveal(Obscured2));
    }

    [Fact]
    public void SecretValues_AreTheSecretKeysAndTheirPlaintext()
    {
        var values = RcloneSecretRedactor.SecretValues(s_config).ToList();
        Assert.Contains(Obscured1, values);
        Assert.Contains("S3cr3t-Pa55word", values);
        Assert.Contains("crypt pw with spaces ñ", values);
        Assert.Contains("S3RVERsecretKey42", values);
        Assert.Contains("S3RVER", values);
        Assert.DoesNotContain("127.0.0.1", values);
        Assert.DoesNotContain("cenate", values);
        Assert.DoesNotContain("box:enc", values);
    }

    [Theory]
    // Real rclone 1.60 lines with a secret spliced where a misconfigured backend or a debug dump would put it.
    [InlineData("2026/11/30 08:27:50 Failed to create file system for \"dead:dir\": NewFs: couldn't connect SSH: ssh:"
        + " handshake failed (password S3cr3t-Pa55word)")]
    [InlineData("{\"level\":\"error\",\"msg\":\"config: pass = " + Obscured1 + "\",\"source\":\"config/config.go:1\"}")]
    [InlineData("{\"level\":\"debug\",\"msg\":\"Using config file pass=crypt pw with spaces ñ\"}")]
    [InlineData("2026/11/30 08:27:50 ERROR : s3: SignatureDoesNotMatch for key S3RVERsecretKey42")]
    public void ConfigSecrets_AreStripped(string line)
    {
        var r = new RcloneSecretRedactor(RcloneSecretRedactor.SecretValues(s_config));
        var red = r.Redact(line);
        Assert.DoesNotContain("S3cr3t-Pa55word", red);
        Assert.DoesNotContain(Obscured1, red);
        Assert.DoesNotContain("crypt pw with spaces", red);
        Assert.DoesNotContain("S3RVERsecretKey42", red);
        Assert.Contains(RcloneSecretRedactor.Mask, red);
    }

    [Theory]
    [InlineData("--sftp-pass=hunter2secret", "hunter2secret")]
    [InlineData("token={\"access_token\":\"ya29.abc\"}", "ya29.abc")]
    [InlineData("\"password\":\"not-in-config-9\"", "not-in-config-9")]
    [InlineData("secret_access_key: AKIAxyz123456", "AKIAxyz123456")]
    [InlineData("a value obscured elsewhere " + Obscured2 + " here", Obscured2)]
    public void SecretShapedText_IsStrippedWithoutTheConfig(string line, string secret)
    {
        var red = new RcloneSecretRedactor(System.Array.Empty<string>()).Redact(line);
        Assert.DoesNotContain(secret, red);
    }

    [Theory]
    [InlineData("{\"level\":\"error\",\"msg\":\"Source and destination exist but do not match: immutable file modifie"
        + "d\",\"object\":\"maestro_cenate_20261130_082700.dump\"}")]
    [InlineData("2026/11/30 08:27:49 ERROR : Asegurados_20261130_082700.csv.gz: files differ")]
    [InlineData("= e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  maestro_cenate_20261130_082700.d"
        + "ump")]
    [InlineData("2026/11/30 08:27:50 Failed to create file system for \"dead:dir\": NewFs: couldn't connect SSH: dial"
        + " tcp 127.0.0.1:56199: connect: connection refused")]
    public void OrdinaryMessages_AreLeftAlone(string line)
    {
        var r = new RcloneSecretRedactor(RcloneSecretRedactor.SecretValues(s_config));
        Assert.Equal(line, r.Redact(line));
    }
}
