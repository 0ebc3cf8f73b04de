using System;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>A file at a remote directory, as rclone lists it.</summary>
/// <param name="Name">The file name.</param>
/// <param name="Size">Bytes (as the remote reports them; a crypt remote reports the decrypted size).</param>
/// <param name="ModTime">The remote's modification time (only used to judge stale leftovers).</param>
public sealed record RemoteFile(string Name, long Size, DateTimeOffset ModTime);
