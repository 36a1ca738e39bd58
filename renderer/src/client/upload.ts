/**
 * Browser mode's upload client: a picked or dropped file's bytes go to the server (POST /upload,
 * app/server/upload.ts) with the session's token, with progress; the answer is the path of the
 * host's private copy, which the window then opens like any path. Electron never uploads: it opens
 * the file itself by path.
 */
import { takeToken, TOKEN_HEADER } from './token';

export interface Uploader {
  upload(file: File, onProgress: (done: number, total: number) => void): Promise<{ path: string; bytes: number }>;
  /** Removes the host's copy (best effort). */
  discard(path: string): Promise<void>;
}

export function httpUploader(): Uploader {
  return {
    upload(file, onProgress) {
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `/upload?name=${encodeURIComponent(file.name)}`);
        const token = takeToken();
        if (token) xhr.setRequestHeader(TOKEN_HEADER, token);
        xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
        xhr.onload = () => {
          if (xhr.status === 200) {
            try {
              resolve(JSON.parse(xhr.responseText) as { path: string; bytes: number });
            } catch {
              reject(new Error('the server answered the upload with something other than its path'));
            }
          } else reject(new Error(`upload of ${file.name} refused: ${xhr.responseText.trim() || xhr.statusText}`));
        };
        xhr.onerror = () => reject(new Error(`upload of ${file.name} failed: the connection broke`));
        xhr.send(file);
      });
    },
    async discard(path) {
      const token = takeToken();
      await fetch(`/upload/discard?path=${encodeURIComponent(path)}`, {
        method: 'POST',
        headers: token ? { [TOKEN_HEADER]: token } : {},
      }).catch(() => undefined);
    },
  };
}
