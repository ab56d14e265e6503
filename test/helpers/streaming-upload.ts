// A Glance image upload whose body the test sends piece by piece (chunked), so a test can act while the
// upload is in flight: restart another node, kill the receiving node, and so on.
import { request, type ClientRequest } from 'node:http';

export interface StreamingUpload {
  /** Sends bytes; resolves once they are handed to the socket. */
  write(data: Buffer): Promise<void>;
  /** Ends the body and resolves with the response. */
  end(): Promise<{ status: number; text: string }>;
  /** The response (or the connection error), whenever it comes. */
  response: Promise<{ status: number; text: string }>;
  request: ClientRequest;
}

export function startUpload(baseUrl: string, token: string, imageId: string): StreamingUpload {
  const req = request(`${baseUrl}/v2/images/${imageId}/file`, {
    method: 'PUT',
    headers: {
      'x-auth-token': token,
      'content-type': 'application/octet-stream',
      'transfer-encoding': 'chunked',
    },
  });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  response.catch(() => undefined);
  req.flushHeaders();
  return {
    request: req,
    response,
    write: (data) =>
      new Promise((resolve, reject) => req.write(data, (err) => (err ? reject(err) : resolve()))),
    end: () => {
      req.end();
      return response;
    },
  };
}
