using System.Collections.Generic;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>What `rclone checksum sha256 --download` found for the named files.</summary>
/// <param name="Matched">Files whose downloaded bytes hash to the expected sha256.</param>
/// <param name="Differ">Files whose bytes differ, or that could not be read or decrypted.</param>
/// <param name="Missing">Files that are not at the remote.</param>
public sealed record ChecksumReport(IReadOnlyList<string> Matched, IReadOnlyList<string> Differ,
    IReadOnlyList<string> Missing)
{
    /// <summary>Every named file is there and matches.</summary>
    public bool Passed => Differ.Count == 0 && Missing.Count == 0;

    /// <summary>Throws RemoteChecksumMismatch (InvalidData) naming the files unless <see cref="Passed"/>.</summary>
    /// <param name="location">The remote directory checked (the error's target).</param>
    public void ThrowIfFailed(string location)
    {
        if (Passed) return;
        var what = new List<string>();
        if (Differ.Count > 0) what.Add(Messages.Format("RemoteChecksumMismatch.Differ", string.Join(", ", Differ)));
        if (Missing.Count > 0) what.Add(Messages.Format("RemoteChecksumMismatch.Missing", string.Join(", ", Missing)));
        throw new CenateException(ErrorIds.RemoteChecksumMismatch, CenateErrorKind.InvalidData,
            Messages.Format("RemoteChecksumMismatch.3", location, string.Join("; ", what)),
            Messages.Get("RemoteChecksumMismatch.Action.3"), location);
    }
}
