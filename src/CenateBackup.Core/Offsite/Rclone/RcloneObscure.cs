using System;
using System.Security.Cryptography;
using System.Text;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>
/// rclone's "obscure": AES-256-CTR under a key published in rclone's source, IV first, base64url without padding.
/// It hides nothing from anyone who has the config file; the module only reverses it to know the plaintext
/// passwords, so that the redactor can strip them from rclone's messages too.
/// </summary>
internal static class RcloneObscure
{
    private static readonly byte[] s_key =
    {
        0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
        0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38,
    };

    /// <summary>The plaintext of an obscured value, or null when it is not one.</summary>
    public static string? TryReveal(string obscured)
    {
        var data = TryDecodeBase64Url(obscured);
        if (data is null || data.Length < 17) return null;
        using var aes = Aes.Create();
        aes.Key = s_key;
        var counter = data.AsSpan(0, 16).ToArray();
        var block = new byte[16];
        var plain = new byte[data.Length - 16];
        for (var i = 0; i < plain.Length; i++)
        {
            if (i % 16 == 0)
            {
                aes.EncryptEcb(counter, block, PaddingMode.None);
                Increment(counter);
            }
            plain[i] = (byte)(data[16 + i] ^ block[i % 16]);
        }
        try
        {
            return new UTF8Encoding(false, true).GetString(plain);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Decodes base64url without padding (rclone's encoding); null when the text is not that.</summary>
    public static byte[]? TryDecodeBase64Url(string text)
    {
        if (text.Length % 4 == 1) return null;
        var s = text.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
        try
        {
            return Convert.FromBase64String(s);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static void Increment(byte[] counter)
    {
        for (var i = counter.Length - 1; i >= 0; i--)
        {
            if (++counter[i] != 0) break;
        }
    }
}
